// Builds the built-in room's browser assets (external_api.js, meeting.js, meeting.css) into dist/room-assets.
import { build } from 'esbuild';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('./src/room/browser/', import.meta.url));
const out = fileURLToPath(new URL('./dist/room-assets/', import.meta.url));

/** Bundles the two browser entry points; returns the output directory. */
export async function buildRoomAssets() {
  fs.mkdirSync(out, { recursive: true });
  await build({
    entryPoints: { external_api: `${src}external-api.ts`, meeting: `${src}meeting.ts` },
    outdir: out,
    bundle: true,
    format: 'iife',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
  });
  fs.copyFileSync(`${src}meeting.css`, `${out}meeting.css`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildRoomAssets();
