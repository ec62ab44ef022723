// Public entry of @v4h/protocol: the HTTP wire (schemas and their types), error codes and event names.
// The record format and its verifier are the subpath `@v4h/protocol/verify` (no TypeBox in it: browsers load it).
export { ERROR_STATUS, ERROR_CODES, ErrorBody } from './errors.js';
export type { ErrorCode } from './errors.js';
