// Builds @v4h/client: ESM (dist/index.js), the one-file IIFE served as /v4h.js, .d.ts files and the demo page.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');
rmSync(dist, { recursive: true, force: true });

// v4h.js imports the features on first use (features-load.lazy.ts); the chunk reuses v4h.js's V4HError (lazy-errors.ts).
const redirect = (name, filter, target, importer = /./) => ({
  name,
  setup: (b) => b.onResolve({ filter }, (args) => (importer.test(args.importer) ? { path: path.join(root, target) } : undefined)),
});
const lazyFeatures = redirect('lazy-features', /^\.\/features-load\.js$/, 'src/features-load.lazy.ts');
const chunkErrors = redirect('chunk-errors', /^(\.\.?)\/errors\.js$/, 'src/lazy-errors.ts');
const common = { bundle: true, target: 'es2022', legalComments: 'none', logLevel: 'warning', absWorkingDir: root };
await Promise.all([
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.js', format: 'esm', platform: 'neutral', sourcemap: true }),
  build({
    ...common,
    entryPoints: ['src/global.ts'],
    outfile: 'dist/v4h.js',
    format: 'iife',
    platform: 'browser',
    minify: true,
    sourcemap: true,
    plugins: [lazyFeatures],
  }),
  // The features for v4h.js (files, and all of features/), served as /v4h-features.js.
  build({
    ...common,
    entryPoints: ['src/features-chunk.ts'],
    outfile: 'dist/features.js',
    format: 'esm',
    platform: 'browser',
    minify: true,
    sourcemap: true,
    plugins: [chunkErrors],
  }),
  // The record verifier (@v4h/protocol/verify, bundled in), loaded on demand by verifyConference (served as
  // /v4h-verify.js), so v4h.js stays small.
  build({ ...common, entryPoints: ['src/verify.ts'], outfile: 'dist/verify.js', format: 'esm', platform: 'neutral', minify: true, sourcemap: true }),
  // The demo uses the global V4H from /v4h.js, like an integrator's page would.
  build({ ...common, entryPoints: ['demo/demo.ts'], outfile: 'dist/demo/demo.js', format: 'iife', platform: 'browser', minify: true, sourcemap: true }),
  // The guest page (/visit/), over the global V4H of /v4h.js like the demo: served ready-made, no build for integrators.
  build({ ...common, entryPoints: ['visit/visit.ts'], outfile: 'dist/visit/visit.js', format: 'iife', platform: 'browser', minify: true, sourcemap: true }),
]);
mkdirSync(path.join(dist, 'demo'), { recursive: true });
for (const file of ['index.html', 'demo.css']) copyFileSync(path.join(root, 'demo', file), path.join(dist, 'demo', file));
mkdirSync(path.join(dist, 'visit'), { recursive: true });
for (const file of ['index.html', 'visit.css']) copyFileSync(path.join(root, 'visit', file), path.join(dist, 'visit', file));

const tsc = path.join(root, '../../node_modules/typescript/bin/tsc');
execFileSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit' });
console.log('@v4h/client built: dist/index.js, dist/v4h.js, dist/*.d.ts, dist/demo/, dist/visit/');
