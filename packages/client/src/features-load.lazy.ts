// v4h.js only: the features are imported on first use from the V4H server (/v4h-features.js), so that v4h.js stays small.
import { V4HError } from './errors.js';
import type { HttpClient } from './http.js';
import type { FeaturesModule } from './features-load.js';
import type { useErrors } from './lazy-errors.js';

/** Imports /v4h-features.js (the browser caches it once loaded) and hands it this script's V4HError, so `instanceof` holds. */
export const loadFeatures = (http: HttpClient): Promise<FeaturesModule> =>
  import(/* webpackIgnore: true */ http.url('/v4h-features.js')).then(
    (module: FeaturesModule & { useErrors: typeof useErrors }) => (module.useErrors(V4HError), module),
    (cause) => {
      throw new V4HError('network_error', 'loading /v4h-features.js failed', 0, cause);
    },
  );
