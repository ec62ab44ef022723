// Makes sure packages/client/dist (served as /v4h.js, the demo and the guest page) is at least as new as its sources.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const client = fileURLToPath(new URL('../../../packages/client/', import.meta.url));

function newest(dir: string): number {
  return Math.max(
    0,
    ...fs.readdirSync(dir, { withFileTypes: true }).map((e) => {
      const file = path.join(dir, e.name);
      return e.isDirectory() ? newest(file) : fs.statSync(file).mtimeMs;
    }),
  );
}

export function ensureClientBuilt(): void {
  const built = path.join(client, 'dist/demo/demo.js');
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  if (
    builtAt >=
    Math.max(
      newest(path.join(client, 'src')),
      newest(path.join(client, 'demo')),
      newest(path.join(client, 'visit')),
      fs.statSync(path.join(client, 'build.js')).mtimeMs,
    )
  )
    return;
  execFileSync(process.execPath, [path.join(client, 'build.js')], { stdio: 'inherit' });
}
