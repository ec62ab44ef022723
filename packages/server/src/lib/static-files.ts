// Built files served from one directory (the client SDK and demo, the room's page assets): read once, kept while
// unchanged, with a strong ETag from their content. One helper for both instead of @fastify/static, which would send
// a weak size-mtime ETag instead of the content hash (the room's pages also use that hash as the `?v=` that makes its
// assets immutable) and answer a missing build with a 404 instead of our 503.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyReply, FastifyRequest } from 'fastify';

export interface StaticFile {
  body: Buffer;
  /** Strong ETag (quoted): the first 27 characters of the content's SHA-256, base64url. */
  etag: string;
  /** Short content hash, for cache-busting URLs (`?v=`). */
  version: string;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

/** Files of one directory; a rebuild is picked up by its new mtime or size, a missing file by the next call. */
export class StaticFiles {
  readonly dir: string;
  readonly #cache = new Map<string, { mtimeMs: number; size: number; file: StaticFile }>();

  constructor(dir: string) {
    this.dir = dir;
  }

  /** The file at `relative` (a name from our own route table, never from the request); undefined when it is not built. */
  async get(relative: string): Promise<StaticFile | undefined> {
    const full = path.join(this.dir, relative);
    let info;
    try {
      info = await stat(full);
    } catch {
      return undefined;
    }
    const cached = this.#cache.get(relative);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached.file;
    const body = await readFile(full);
    const digest = createHash('sha256').update(body).digest('base64url');
    const file = {
      body,
      etag: `"${digest.slice(0, 27)}"`,
      version: digest.slice(0, 12),
      contentType: CONTENT_TYPES[path.extname(full)] ?? 'application/octet-stream',
    };
    this.#cache.set(relative, { mtimeMs: info.mtimeMs, size: info.size, file });
    return file;
  }
}

/** True when an If-None-Match header names this ETag (weak comparison, as RFC 9110 asks for GET). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Answers with `file` and its ETag plus `headers`, or 304 (no body) when the request already holds it. */
export function sendStaticFile(request: FastifyRequest, reply: FastifyReply, file: StaticFile, headers: Record<string, string>): FastifyReply {
  reply.headers({ etag: file.etag, ...headers });
  if (etagMatches(request.headers['if-none-match'], file.etag)) return reply.status(304).send();
  return reply.type(file.contentType).send(file.body);
}
