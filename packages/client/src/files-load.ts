// How V4H reaches the files module: statically in the ESM build and in Node (build.js swaps in files-load.lazy.ts for v4h.js).
import * as files from './files.js';
import type { HttpClient } from './http.js';

/** The upload, listing and sharing functions V4H calls. */
export type FilesModule = Pick<typeof files, 'uploadFile' | 'shareFile' | 'listFiles'>;

/** The files module, already part of this bundle. */
export const loadFiles = (_http: HttpClient): Promise<FilesModule> => Promise.resolve(files);
