// The README's configuration table names exactly the variables config.ts reads, and config.ts is the only reader of
// process.env in the server (issue 18, part 5): a variable added on one side only fails here.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const src = path.dirname(fileURLToPath(import.meta.url));
const configSource = fs.readFileSync(path.join(src, 'config.ts'), 'utf8');
const readme = fs.readFileSync(path.join(src, '../../../README.md'), 'utf8');

/** Names config.ts reads: `helper(env, 'NAME', …)`, `env.NAME` and `env['NAME']`. */
function readByConfig(source: string): Set<string> {
  const patterns = [/\(\s*env\s*,\s*'([A-Z][A-Z0-9_]*)'/g, /\benv\.([A-Z][A-Z0-9_]*)/g, /\benv\[\s*'([A-Z][A-Z0-9_]*)'\s*\]/g];
  return new Set(patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((m) => m[1])));
}

/** Names in the first column of the table under "## Configuration". */
function documented(markdown: string): Set<string> {
  const section = markdown.split(/^## Configuration$/m)[1]?.split(/^## /m)[0] ?? '';
  const firstCells = section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|')[1]);
  return new Set(firstCells.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1])));
}

const sorted = (names: Iterable<string>) => [...names].sort();

describe('the README configuration table', () => {
  it('lists every variable config.ts reads, and no other', () => {
    const read = readByConfig(configSource);
    const listed = documented(readme);
    expect(read.size).toBeGreaterThan(60);
    expect(sorted([...read].filter((name) => !listed.has(name))), 'read by config.ts, missing from the README').toEqual([]);
    expect(sorted([...listed].filter((name) => !read.has(name))), 'in the README, not read by config.ts').toEqual([]);
  });

  it('the parser sees every name loadConfig reads from a default environment', () => {
    const touched = new Set<string>();
    const env = new Proxy(
      {},
      {
        get: (_target, name) => {
          if (typeof name === 'string') touched.add(name);
          return undefined;
        },
      },
    );
    loadConfig(env);
    expect(touched.size).toBeGreaterThan(40);
    const parsed = readByConfig(configSource);
    expect(sorted([...touched].filter((name) => !parsed.has(name)))).toEqual([]);
  });

  it('the parsers read the forms they claim to', () => {
    expect(sorted(readByConfig("str(env, 'A_B'); int(env,'C', 1); env.D_1; env['E']; other('F')"))).toEqual(['A_B', 'C', 'D_1', 'E']);
    expect(sorted(documented('## Configuration\n\n| variable |\n|---|\n| `A`, `B_C` | `x` | `NOT_ME` |\n\n## Next\n| `Z` |\n'))).toEqual(['A', 'B_C']);
  });
});

/** Source without its comments (`/* … *\/` blocks, `//` to the end of a line not inside a string or a URL). */
const withoutComments = (source: string) => source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

describe('process.env', () => {
  it('is read only by config.ts in the server (tests and test support aside)', () => {
    const readers: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isSymbolicLink()) continue;
        if (entry.isDirectory()) {
          if (entry.name !== 'test-support') walk(full);
        } else if (/\.ts$/.test(entry.name) && !/\.test\.ts$/.test(entry.name) && /\bprocess\.env\b/.test(withoutComments(fs.readFileSync(full, 'utf8')))) {
          readers.push(path.relative(src, full));
        }
      }
    };
    walk(src);
    expect(readers).toEqual(['config.ts']);
  });
});
