#!/usr/bin/env node
// `npm start`: serves the built server at once; rebuilds first only when a source file is newer than the build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const at = (p) => path.join(root, p);

/** What the build reads (sources, build scripts, configs). */
const SOURCES = [
  'packages/client/src',
  'packages/client/demo',
  'packages/client/build.js',
  'packages/client/tsconfig.build.json',
  'packages/react/src',
  'packages/react/tsconfig.build.json',
  'packages/server/src',
  'packages/server/build-room.js',
  'packages/server/tsconfig.build.json',
];
/** What the build writes (each rewritten by every build). */
const OUTPUTS = [
  'packages/client/dist/v4h.js',
  'packages/client/dist/index.js',
  'packages/react/dist/index.js',
  'packages/server/dist/cli/main.js',
  'packages/server/dist/server.js',
  'packages/server/dist/room-assets/meeting.js',
];

function newest(p) {
  let stat;
  try {
    stat = statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  // Tests are not part of the build.
  const inputs = readdirSync(p).filter((name) => !name.endsWith('.test.ts') && name !== 'test-support');
  return inputs.reduce((max, name) => Math.max(max, newest(path.join(p, name))), 0);
}

function oldestOutput() {
  let oldest = Infinity;
  for (const p of OUTPUTS) {
    try {
      oldest = Math.min(oldest, statSync(at(p)).mtimeMs);
    } catch {
      return 0; // missing: never built
    }
  }
  return oldest;
}

const built = oldestOutput();
const changed = Math.max(...SOURCES.map((p) => newest(at(p))));
if (built === 0 || changed > built) {
  console.error(built === 0 ? 'v4h: not built yet; building (npm run build)…' : 'v4h: sources changed since the last build; rebuilding (npm run build)…');
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
// In this process, so that SIGTERM from a supervisor reaches the server directly (graceful stop).
process.argv.splice(2, Infinity, 'serve');
await import('./v4h.js');
