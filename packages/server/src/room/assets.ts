// The room's browser assets, built by build-room.js into dist/room-assets and served with ETags.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

/** Where build-room.js writes; the same from src/room (tests) and dist/room (built). */
export const ROOM_ASSETS_DIR = fileURLToPath(new URL('../../dist/room-assets/', import.meta.url));

export interface Asset {
  body: Buffer;
  /** Strong ETag (quoted). */
  etag: string;
  /** Short content hash, for cache-busting URLs. */
  version: string;
  contentType: string;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** Loads assets once; a missing build is retried on the next call (so a build after start is picked up). */
export function createAssetStore(dir = ROOM_ASSETS_DIR) {
  const cache = new Map<string, Asset>();
  return {
    get(name: string): Asset | undefined {
      const hit = cache.get(name);
      if (hit) return hit;
      let body: Buffer;
      try {
        body = fs.readFileSync(path.join(dir, name));
      } catch {
        return undefined;
      }
      const digest = createHash('sha256').update(body).digest('base64url');
      const asset = { body, etag: `"${digest.slice(0, 27)}"`, version: digest.slice(0, 12), contentType: TYPES[name.split('.').pop()!] ?? 'application/octet-stream' };
      cache.set(name, asset);
      return asset;
    },
  };
}

export type AssetStore = ReturnType<typeof createAssetStore>;

/** True when the request's If-None-Match names this ETag. */
export function isFresh(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch === '*' || ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
