// Entry of the one-file build (v4h.js): defines the global `V4H` (the class), with the error helpers on it.
import { V4H } from './V4H.js';
import { V4HError, isV4HError } from './errors.js';

(globalThis as Record<string, unknown>).V4H = Object.assign(V4H, { V4HError, isV4HError });
