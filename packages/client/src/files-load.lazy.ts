// v4h.js only: the files module is imported on first use from the V4H server (/v4h-files.js), so that v4h.js stays small.
import { V4HError } from './errors.js';
import type { HttpClient } from './http.js';
import type { FilesModule } from './files-load.js';
import type { useErrors } from './lazy-errors.js';

/** Imports /v4h-files.js (the browser caches it once loaded) and hands it this script's V4HError, so `instanceof` holds. */
export const loadFiles = (http: HttpClient): Promise<FilesModule> =>
  import(/* webpackIgnore: true */ http.url('/v4h-files.js')).then(
    (module: FilesModule & { useErrors: typeof useErrors }) => (module.useErrors(V4HError), module),
    (cause) => {
      throw new V4HError('network_error', 'loading /v4h-files.js failed', 0, cause);
    },
  );
