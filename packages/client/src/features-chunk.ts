// Entry of the lazily loaded features chunk (dist/features.js, served as /v4h-features.js); build.js points every
// errors.js import inside it at lazy-errors.ts, so the chunk's errors are the V4HError of the v4h.js that loaded it.
export * from './features/index.js';
export { useErrors } from './lazy-errors.js';
