// Entry of the lazily loaded files chunk (dist/files.js, served as /v4h-files.js); build.js points its errors.js at lazy-errors.ts.
export { uploadFile, shareFile, listFiles } from './files.js';
export { useErrors } from './lazy-errors.js';
