// The client SDK's built files (packages/client/dist): read from disk, kept while unchanged, with strong ETags.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError } from '../errors.js';

/** packages/client/dist, from src/web/ or dist/web/ of the server package alike. */
export const defaultClientDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../client/dist');

export interface Asset {
  body: Buffer;
  etag: string;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/** Serves a fixed list of files from one directory; a rebuild is picked up by its new mtime. */
export class AssetStore {
  readonly #dir: string;
  readonly #cache = new Map<string, { mtimeMs: number; size: number; asset: Asset }>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** The file at `relative` (a name from our own route table, never from the request). */
  async get(relative: string): Promise<Asset> {
    const file = path.join(this.#dir, relative);
    let info;
    try {
      info = await stat(file);
    } catch {
      throw new AppError('service_unavailable', `client SDK not built (${relative} missing in ${this.#dir}): run "npm run build"`);
    }
    const cached = this.#cache.get(relative);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.asset;
    const body = await readFile(file);
    const asset = {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
      contentType: CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
    };
    this.#cache.set(relative, { mtimeMs: info.mtimeMs, size: info.size, asset });
    return asset;
  }
}

/** True when an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Content-Security-Policy of the demo page: our own scripts, plus the Jitsi origin's script and iframe. */
export function demoCsp(jitsiUrl: string): string {
  const jitsi = new URL(jitsiUrl).origin;
  return [
    "default-src 'none'",
    `script-src 'self' ${jitsi}`,
    "style-src 'self'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    `frame-src ${jitsi}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
