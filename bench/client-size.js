// Size of the SDK script served as /v4h.js (minified, gzipped) against the original V4H bundle; target ≤ 6 KB gzipped.
// Builds packages/client first so that the shipped file itself is measured. Last stdout line: JSON (bench/run.js contract).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const ORIGINAL = { min: 1_356_598, gzip: 407_624 }; // the original V4H SDK bundle (issue 3)
const TARGET_GZIP = 6 * 1024;

execFileSync(process.execPath, [path.join(root, 'packages/client/build.js')], { stdio: ['ignore', 'ignore', 'inherit'] });
const script = fs.readFileSync(path.join(root, 'packages/client/dist/v4h.js'));
const min = script.length;
const gzip = zlib.gzipSync(script, { level: 9 }).length;
const brotli = zlib.brotliCompressSync(script, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

const ratio = (a, b) => Math.round((a / b) * 10_000) / 10_000;
console.log(`v4h.js minified: ${min} B (original ${ORIGINAL.min} B, ${(ORIGINAL.min / min).toFixed(0)}× smaller)`);
console.log(`v4h.js gzipped:  ${gzip} B (original ${ORIGINAL.gzip} B, ${(ORIGINAL.gzip / gzip).toFixed(0)}× smaller; target ≤ ${TARGET_GZIP} B)`);
console.log(`v4h.js brotli:   ${brotli} B`);
console.log(
  JSON.stringify({
    figures: [
      {
        name: 'v4h.js minified',
        value: min,
        unit: 'B',
        baseline: { name: 'original V4H bundle, minified', value: ORIGINAL.min },
        ratio: ratio(min, ORIGINAL.min),
      },
      {
        name: 'v4h.js gzipped',
        value: gzip,
        unit: 'B',
        baseline: { name: 'original V4H bundle, gzipped', value: ORIGINAL.gzip },
        ratio: ratio(gzip, ORIGINAL.gzip),
        target: `≤ ${TARGET_GZIP} B`,
        pass: gzip <= TARGET_GZIP,
      },
      { name: 'v4h.js brotli', value: brotli, unit: 'B' },
    ],
  }),
);
