#!/usr/bin/env node
// The `v4h` command: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('v4h: the server is not built; run `npm run build` (or `npm ci`) at the repository root');
  process.exit(1);
}
await import(entry.href);
