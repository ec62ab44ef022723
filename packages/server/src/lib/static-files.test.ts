// Built files from one directory: content-hash ETags and versions, a rebuild picked up, a missing build reported.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StaticFiles, etagMatches } from './static-files.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-static-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('StaticFiles', () => {
  it('answers a file with its content type, a strong ETag and a version from its SHA-256', async () => {
    fs.writeFileSync(path.join(dir, 'a.js'), 'console.log(1);');
    const digest = createHash('sha256').update('console.log(1);').digest('base64url');
    expect(await new StaticFiles(dir).get('a.js')).toMatchObject({
      etag: `"${digest.slice(0, 27)}"`,
      version: digest.slice(0, 12),
      contentType: 'text/javascript; charset=utf-8',
    });
    fs.writeFileSync(path.join(dir, 'a.bin'), 'x');
    expect((await new StaticFiles(dir).get('a.bin'))?.contentType).toBe('application/octet-stream');
  });

  it('is undefined while the file is not built, and serves it once it is', async () => {
    const files = new StaticFiles(dir);
    expect(await files.get('late.css')).toBeUndefined();
    fs.writeFileSync(path.join(dir, 'late.css'), 'p{}');
    expect((await files.get('late.css'))?.body.toString()).toBe('p{}');
  });

  it('picks up a rebuilt file (new size or mtime) with a new ETag', async () => {
    const file = path.join(dir, 'b.js');
    fs.writeFileSync(file, 'one');
    const files = new StaticFiles(dir);
    const before = await files.get('b.js');
    expect(await files.get('b.js')).toBe(before);
    fs.writeFileSync(file, 'three');
    const after = await files.get('b.js');
    expect(after?.body.toString()).toBe('three');
    expect(after?.etag).not.toBe(before?.etag);
  });
});

describe('etagMatches', () => {
  it('compares weakly, in a list, and takes *', () => {
    expect(etagMatches(undefined, '"x"')).toBe(false);
    expect(etagMatches('"y", W/"x"', '"x"')).toBe(true);
    expect(etagMatches(' * ', '"x"')).toBe(true);
    expect(etagMatches('"y"', '"x"')).toBe(false);
  });
});
