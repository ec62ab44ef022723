// The performance layer stays fenced in db/ (issue 18, part 4): value-or-promise returns only in db/, authenticate and
// getConference's read, no raw transaction on the request path, no better-sqlite3 method reassigned at run time, no
// micro-timings in comments.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(fileURLToPath(import.meta.url), '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'browser' ? [] : sources(file);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [file] : [];
  });
}
const files = sources(src).map((file) => ({ name: path.relative(src, file).split(path.sep).join('/'), text: fs.readFileSync(file, 'utf8') }));

/** `file:line` of every line that matches `pattern`, but in the files (or the lines of them) that `allowed` names. */
function offenders(pattern: RegExp, allowed: (name: string, line: string) => boolean): string[] {
  return files.flatMap((f) => f.text.split('\n').flatMap((line, i) => (pattern.test(line) && !allowed(f.name, line) ? [`${f.name}:${i + 1}`] : [])));
}

/**
 * getConference, which every client polls, is the one request path outside db/ and authenticate that answers at once
 * when it can (issue 18 allows it): these functions, and no other, of these files.
 */
const getConferencePath: Record<string, RegExp> = {
  'conferences/service.ts': /^\s*(detailsSoon|#detailsOf|#urlStorage|primaryRecordingUrl)\(/,
  'storage/service.ts': /^\s*primaryRecordingUrl\(/,
  'storage/repository.ts': /^\s*primaryRecording\(/,
};

describe('the performance layer', () => {
  it('reads its sources', () => {
    expect(files.some((f) => f.name === 'db/prepared.ts')).toBe(true);
  });

  it("returns a value or a promise only in db/, authenticate and getConference's read; every other service call is plain async", () => {
    // A return type (of a function or a method signature) that is a union with a promise.
    const valueOrPromise = /\)\s*:\s*[^{};=]*\|\s*Promise</;
    const allowed = (name: string, line: string) => name.startsWith('db/') || name === 'auth/authenticate.ts' || getConferencePath[name]?.test(line) === true;
    expect(offenders(valueOrPromise, allowed)).toEqual([]);
    // Each exception is used: a name that no longer matches a line would leave a hole in the fence.
    for (const [name, line] of Object.entries(getConferencePath)) {
      expect(
        files
          .find((f) => f.name === name)
          ?.text.split('\n')
          .some((l) => line.test(l) && valueOrPromise.test(l)),
        name,
      ).toBe(true);
    }
  });

  it('opens raw transactions only in db/ and in the records jobs (long batches, not request writes)', () => {
    expect(offenders(/\.transaction\(\)/, (name) => name.startsWith('db/') || name.startsWith('records/'))).toEqual([]);
  });

  it('reassigns no better-sqlite3 method at run time', () => {
    expect(offenders(/\.(prepare|exec|run|get|all|iterate|pragma)\s*=[^=]|\[method\]\s*=[^=]/, () => false)).toEqual([]);
  });

  it('quotes no micro-timings in comments (they go to bench/results/README.md)', () => {
    expect(offenders(/\/[/*].*\d\s?(µs|ns)\b|^\s*\*.*\d\s?(µs|ns)\b/, () => false)).toEqual([]);
  });
});
