// Every installed package runs on the oldest Node the project supports (issue 16 item 12: `npm ci` warned EBADENGINE
// for cookie@2.0.2 and content-disposition@3.1.0, which want Node ≥ 22, while package.json says ≥ 20.19).
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../../', import.meta.url);
const json = (file: string) => JSON.parse(fs.readFileSync(new URL(file, root), 'utf8'));

type Version = [number, number, number];
const part = (s: string | undefined) => (s === undefined || s === 'x' || s === 'X' || s === '*' ? null : Number(s));
const compare = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Whether `version` satisfies an npm `engines` range (the operators and wildcards the lockfile's ranges use). */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((clause) => {
    const comparators = [...clause.matchAll(/(>=|<=|>|<|\^|~|=)?\s*v?([0-9xX*]+(?:\.[0-9xX*]+){0,2})/g)];
    if (clause.trim() === '' || clause.trim() === '*') return true;
    return (
      comparators.length > 0 &&
      comparators.every(([, op = '', text]) => {
        const [major, minor, patch] = [0, 1, 2].map((i) => part(text.split('.')[i]));
        const low: Version = [major ?? 0, minor ?? 0, patch ?? 0];
        const c = compare(version, low);
        if (major === null) return true;
        switch (op) {
          case '>=':
            return c >= 0;
          case '>':
            return c > 0;
          case '<':
            return c < 0;
          case '<=':
            return c <= 0;
          case '^':
            return c >= 0 && (low[0] > 0 ? version[0] === low[0] : version[0] === 0 && version[1] === low[1]);
          case '~':
            return c >= 0 && version[0] === low[0] && (minor === null || version[1] === low[1]);
          default: // exact, or a partial version (`20`, `20.x`): the components given must match
            return version[0] === major && (minor === null || version[1] === minor) && (patch === null || version[2] === patch);
        }
      })
    );
  });
}

describe('Node engines', () => {
  it('the range check reads the lockfile forms', () => {
    expect(satisfies([20, 19, 0], '>=22')).toBe(false);
    expect(satisfies([20, 19, 0], '>= 0.6')).toBe(true);
    expect(satisfies([20, 19, 0], '^20.19.0 || >=22.12.0')).toBe(true);
    expect(satisfies([20, 18, 0], '^20.19.0 || >=22.12.0')).toBe(false);
    expect(satisfies([20, 19, 0], '10.* || >= 12.*')).toBe(true);
    expect(satisfies([20, 19, 0], '20.x || 22.x')).toBe(true);
    expect(satisfies([20, 19, 0], '18 || 20 || >=22')).toBe(true);
    expect(satisfies([20, 19, 0], '>=6 <7 || >=8')).toBe(true);
    expect(satisfies([20, 19, 0], '^16 || ^18')).toBe(false);
  });

  it('every package in package-lock.json accepts the Node version package.json states as the minimum', () => {
    const stated = json('package.json').engines.node as string;
    const minimum = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(stated);
    expect(minimum, stated).not.toBeNull();
    const version: Version = [Number(minimum![1]), Number(minimum![2]), Number(minimum![3] ?? 0)];
    const refusing = Object.entries(json('package-lock.json').packages as Record<string, { version?: string; engines?: { node?: string } | string[] }>)
      .filter(([, p]) => p.engines && !Array.isArray(p.engines) && p.engines.node && !satisfies(version, p.engines.node))
      .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });
});
