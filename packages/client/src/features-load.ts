// How V4H reaches its features: statically in the ESM build and in Node (build.js swaps in features-load.lazy.ts for v4h.js).
import * as features from './features/index.js';
import type { HttpClient } from './http.js';

/** The features module (features/index.ts). */
export type FeaturesModule = typeof features;

/** The features module, already part of this bundle. */
export const loadFeatures = (_http: HttpClient): Promise<FeaturesModule> => Promise.resolve(features);
