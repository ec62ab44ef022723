// Entry of the one-file build (v4h.js): defines the global `V4H` (the class), with the error helpers on it.
// Its declaration (dist/global.d.ts, "@v4h/client/global") types that global for TypeScript pages that load the
// script tag: `/// <reference types="@v4h/client/global" />`.
import { V4H as V4HClass } from './V4H.js';
import { V4HError, isV4HError } from './errors.js';

/** The global `V4H` that /v4h.js defines: the SDK class, with V4HError and isV4HError on it. */
export type V4HGlobal = typeof V4HClass & { V4HError: typeof V4HError; isV4HError: typeof isV4HError };

declare global {
  /** The V4H SDK, as the script tag /v4h.js defines it. */
  var V4H: V4HGlobal; // a global is declared with var
}

globalThis.V4H = Object.assign(V4HClass, { V4HError, isV4HError });
