// A recording uploaded while it records (issue 21): ordered chunks, each stored encrypted on its own as it arrives
// (a crash loses at most the chunk in flight), a retry of a stored chunk idempotent, resumable from `nextIndex` after a
// reload; completing streams the chunks in order through the file service (hashed, stored, `file_stored`) and deletes
// them; a WebM gets the Duration MediaRecorder leaves out (webm-duration.ts) before it is hashed. Uploads left
// unfinished are removed by sweepAbandoned.
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { Recording, RecordingChunk, StoredFile } from '@v4h/protocol';
import type { Db } from '../db/database.js';
import type { RecordingChunksTable, RecordingsTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { AppError, notFound } from '../errors.js';
import { userPrincipal, type AccessPolicy } from '../conferences/access-policy.js';
import type { EncryptedStorage, SealedKey } from '../storage/encryption.js';
import { HashingStream } from '../storage/hashing-stream.js';
import type { FileService } from '../storage/service.js';
import { allowedTypes, baseMediaType, isAllowed } from '../lib/media-types.js';
import { withWebmDuration } from './webm-duration.js';

/** The most bytes one chunk may have (a MediaRecorder timeslice of a few seconds is far below). */
export const MAX_CHUNK_BYTES = 8 * 1024 * 1024;
/** The most chunks one recording may have: four hours at one chunk a second, with room to spare. */
export const MAX_CHUNKS = 50_000;

export interface ChunkedUploadsDeps {
  db: Db;
  clock: Clock;
  access: AccessPolicy;
  storage: EncryptedStorage;
  files: FileService;
  /** The whole recording at most (V4H_MAX_UPLOAD_BYTES: the file service's limit too). */
  maxBytes: number;
  maxChunkBytes?: number;
}

/** The row of a new recording (live or upload alone); the caller inserts it. */
export function newRecordingRow(sessionId: string, userId: string, mimeType: string, live: RecordingsTable['live'], now: number): RecordingsTable {
  return {
    recording_id: newId(),
    session_id: sessionId,
    created_by: userId,
    mime_type: mimeType,
    live,
    stop_reason: null,
    state: 'open',
    next_index: 0,
    bytes: 0,
    file_id: null,
    created_at: now,
    updated_at: now,
    stopped_at: null,
  };
}

/** 415 unless a recording may have this media type (as a one-shot upload of a recording). */
export function checkRecordingType(mimeType: string): void {
  const type = baseMediaType(mimeType);
  if (!type || !isAllowed('recording', type))
    throw new AppError('unsupported_media_type', `a recording must be one of: ${allowedTypes('recording').join(', ')}`);
}

export class ChunkedUploads {
  readonly #deps: ChunkedUploadsDeps;
  readonly maxChunkBytes: number;

  constructor(deps: ChunkedUploadsDeps) {
    this.#deps = deps;
    this.maxChunkBytes = deps.maxChunkBytes ?? MAX_CHUNK_BYTES;
  }

  /** The API's view of a recording. */
  present(row: RecordingsTable): Recording {
    return {
      recordingId: row.recording_id,
      sessionId: row.session_id,
      mimeType: row.mime_type,
      live: row.live,
      stopReason: row.stop_reason,
      state: row.state,
      nextIndex: Number(row.next_index),
      bytes: Number(row.bytes),
      maxChunkBytes: this.maxChunkBytes,
      maxBytes: this.#deps.maxBytes,
      fileId: row.file_id,
    };
  }

  /** The owner's recording of this conference (404 for another conference's, or none). */
  async get(user: { id: string }, sessionId: string, recordingId: string): Promise<RecordingsTable> {
    const conference = await this.#deps.db.kysely.selectFrom('conferences').select('owner_id').where('session_id', '=', sessionId).executeTakeFirst();
    if (!conference) throw notFound('conference');
    this.#deps.access.check(userPrincipal(user), { ownerId: conference.owner_id }, { do: 'manage' });
    const row = await this.#row(recordingId);
    if (!row || row.session_id !== sessionId) throw notFound('recording');
    return row;
  }

  /**
   * Stores chunk `index`: the next one expected (201), or one stored before (a retry: 200 if the bytes are the same,
   * 409 if not). A later index is refused (409, `X-Next-Index` says which one is expected).
   */
  async putChunk(
    user: { id: string },
    sessionId: string,
    recordingId: string,
    index: number,
    body: Readable,
    contentLength?: number,
  ): Promise<{ chunk: RecordingChunk; created: boolean }> {
    const row = await this.get(user, sessionId, recordingId);
    const next = Number(row.next_index);
    if (contentLength !== undefined && contentLength > this.maxChunkBytes) throw tooLarge(`a chunk has at most ${this.maxChunkBytes} bytes`);
    if (index > next) throw outOfOrder(next, `chunks go in order: chunk ${next} is expected, not ${index}`);
    if (index < next) return { chunk: await this.#compareStored(row, index, body), created: false };
    if (row.state !== 'open') throw new AppError('conflict', `this recording takes no more chunks (${row.state})`);
    if (index >= MAX_CHUNKS) throw tooLarge(`a recording has at most ${MAX_CHUNKS} chunks`);
    const room = this.#deps.maxBytes - Number(row.bytes);
    if (contentLength !== undefined && contentLength > room) throw tooLarge(`the recording would exceed ${this.#deps.maxBytes} bytes`);

    const storageKey = `recordings/${recordingId}/${index}-${randomBytes(6).toString('hex')}`;
    const hashing = new HashingStream({ maxBytes: Math.min(this.maxChunkBytes, room) });
    const sealed = await this.#store(storageKey, body, hashing);
    if (hashing.received === 0) {
      await this.#deps.storage.delete(storageKey).catch(() => {});
      throw new AppError('bad_request', 'the chunk is empty');
    }
    const chunk: RecordingChunksTable = {
      recording_id: recordingId,
      idx: index,
      size: hashing.received,
      sha256: hashing.sha256,
      storage_key: storageKey,
      encryption: sealed.scheme,
      key_id: sealed.keyId,
      data_key: sealed.dataKey,
    };
    const now = this.#deps.clock.now();
    const stored = await this.#deps.db
      .write(async (trx) => {
        // Only while it is still the expected chunk of an open upload: a concurrent twin, or a complete, got there first.
        const advanced = await trx
          .updateTable('recordings')
          .set((eb) => ({ next_index: index + 1, bytes: eb('bytes', '+', chunk.size), updated_at: now }))
          .where('recording_id', '=', recordingId)
          .where('next_index', '=', index)
          .where('state', '=', 'open')
          .executeTakeFirst();
        if (Number(advanced.numUpdatedRows) === 0) return false;
        await trx.insertInto('recording_chunks').values(chunk).execute();
        return true;
      })
      .catch(async (error: unknown) => {
        await this.#deps.storage.delete(storageKey).catch(() => {});
        throw error;
      });
    if (!stored) {
      await this.#deps.storage.delete(storageKey).catch(() => {});
      const again = (await this.#row(recordingId))!;
      if (Number(again.next_index) > index) return { chunk: this.#sameAs(again, index, await this.#chunkRow(recordingId, index), chunk), created: false };
      throw new AppError('conflict', `this recording takes no more chunks (${again.state})`);
    }
    return { chunk: { index, size: chunk.size, sha256: chunk.sha256, nextIndex: index + 1, bytes: Number(row.bytes) + chunk.size }, created: true };
  }

  /**
   * Assembles the chunks in order into the conference's recording (streamed from storage through the file service:
   * hashed, stored, `file_stored`), then deletes them. Completing a completed recording answers its file again.
   */
  async complete(user: { id: string; username?: string }, sessionId: string, recordingId: string): Promise<{ file: StoredFile; created: boolean }> {
    const row = await this.get(user, sessionId, recordingId);
    if (row.state === 'complete') {
      const file = await this.#deps.files.describe(row.file_id!);
      if (!file) throw notFound('recording file');
      return { file, created: false };
    }
    if (row.state !== 'open') throw new AppError('conflict', `this recording cannot be completed (${row.state})`);
    if (Number(row.next_index) === 0) throw new AppError('bad_request', 'the recording has no chunks');
    const now = this.#deps.clock.now();
    const claimed = await this.#deps.db.write(async (trx) => {
      const result = await trx
        .updateTable('recordings')
        .set({ state: 'completing', updated_at: now })
        .where('recording_id', '=', recordingId)
        .where('state', '=', 'open')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    });
    if (!claimed) throw new AppError('conflict', 'this recording is being completed');
    let file: StoredFile;
    try {
      const chunks = await this.#chunks(recordingId);
      const owner = await this.#deps.db.kysely.selectFrom('users').select(['id', 'username']).where('id', '=', row.created_by).executeTakeFirst();
      if (!owner) throw notFound('the recording’s owner');
      const assembled = await this.#assemble(row.mime_type, chunks);
      file = await this.#deps.files.upload({
        principal: { kind: 'user', id: owner.id, username: owner.username },
        target: { sessionId },
        kind: 'recording',
        contentType: row.mime_type,
        contentLength: assembled.length,
        digests: [],
        // The bytes as stored (a WebM with its Duration written in): the SHA-256 in the record is theirs.
        body: Readable.from(assembled.body),
        // A live recording started with everyone's consent, and a decline stopped it: what it recorded until then is kept.
        consentChecked: row.live !== null,
      });
    } catch (error) {
      await this.#deps.db.write(async (trx) => {
        await trx.updateTable('recordings').set({ state: 'open', updated_at: this.#deps.clock.now() }).where('recording_id', '=', recordingId).execute();
      });
      throw error;
    }
    await this.#deps.db.write(async (trx) => {
      await trx
        .updateTable('recordings')
        .set({ state: 'complete', file_id: file.fileId, updated_at: this.#deps.clock.now() })
        .where('recording_id', '=', recordingId)
        .execute();
    });
    await this.#deleteChunks(recordingId);
    return { file, created: true };
  }

  /** Uploads untouched for `olderThanMs` (open, or stuck completing after a crash): chunks deleted, marked abandoned. */
  async sweepAbandoned(olderThanMs: number): Promise<number> {
    const before = this.#deps.clock.now() - olderThanMs;
    const stale = await this.#deps.db.kysely
      .selectFrom('recordings')
      .select('recording_id')
      .where('state', 'in', ['open', 'completing'])
      .where('updated_at', '<', before)
      .execute();
    for (const { recording_id: recordingId } of stale) {
      const marked = await this.#deps.db.write(async (trx) => {
        const result = await trx
          .updateTable('recordings')
          .set({ state: 'abandoned', updated_at: this.#deps.clock.now() })
          .where('recording_id', '=', recordingId)
          .where('state', 'in', ['open', 'completing'])
          .where('updated_at', '<', before)
          .executeTakeFirst();
        return Number(result.numUpdatedRows) > 0;
      });
      if (marked) await this.#deleteChunks(recordingId);
    }
    return stale.length;
  }

  /** The chunks in order as one stream; a WebM (MediaRecorder's: no Duration) gets its Duration written in. */
  async #assemble(mimeType: string, chunks: RecordingChunksTable[]): Promise<{ body: AsyncIterable<Uint8Array>; length: number }> {
    const length = chunks.reduce((n, c) => n + c.size, 0);
    const type = baseMediaType(mimeType);
    if (type !== 'video/webm' && type !== 'audio/webm') return { body: this.#concatenate(chunks), length };
    return withWebmDuration(() => this.#concatenate(chunks), length);
  }

  async *#concatenate(chunks: RecordingChunksTable[]): AsyncGenerator<Buffer> {
    for (const chunk of chunks) {
      // One chunk's stream open at a time: the whole recording never sits in memory.
      const stream = await this.#deps.storage.get(chunk.storage_key, sealedKeyOf(chunk), chunk.size);
      for await (const piece of stream) yield piece as Buffer;
    }
  }

  async #store(storageKey: string, body: Readable, hashing: HashingStream): Promise<SealedKey> {
    let sourceError: Error | undefined;
    const abort = (error: Error) => {
      sourceError ??= error;
      hashing.destroy(error);
    };
    body.on('error', abort);
    hashing.on('error', () => {});
    body.once('close', () => body.readableEnded || abort(new Error('the client disconnected mid-chunk')));
    if (body.destroyed && !body.readableEnded) abort(body.errored ?? new Error('the client disconnected before the chunk began'));
    body.pipe(hashing);
    try {
      return await this.#deps.storage.put(storageKey, hashing, { contentType: 'application/octet-stream' });
    } catch (error) {
      if (hashing.failure) throw hashing.failure;
      if (sourceError) throw new AppError('bad_request', 'the chunk upload was interrupted', {}, { cause: sourceError });
      throw new AppError('service_unavailable', 'file storage is unavailable; try again shortly', { 'retry-after': '5' }, { cause: error });
    }
  }

  /** A retry of a stored chunk: its bytes hashed (not stored) and compared with what was stored. */
  async #compareStored(row: RecordingsTable, index: number, body: Readable): Promise<RecordingChunk> {
    const stored = await this.#chunkRow(row.recording_id, index);
    const hashing = new HashingStream({ maxBytes: this.maxChunkBytes });
    try {
      await pipeline(body, hashing, new Writable({ write: (_chunk, _encoding, done) => done() }));
    } catch (error) {
      throw hashing.failure ?? new AppError('bad_request', 'the chunk upload was interrupted', {}, { cause: error });
    }
    return this.#sameAs(row, index, stored, { size: hashing.received, sha256: hashing.sha256 });
  }

  #sameAs(row: RecordingsTable, index: number, stored: RecordingChunksTable | undefined, sent: { size: number; sha256: string }): RecordingChunk {
    if (!stored || stored.size !== sent.size || stored.sha256 !== sent.sha256) {
      throw new AppError('conflict', `chunk ${index} was stored with other bytes; chunk ${row.next_index} is expected next`, {
        'x-next-index': String(row.next_index),
      });
    }
    return { index, size: stored.size, sha256: stored.sha256, nextIndex: Number(row.next_index), bytes: Number(row.bytes) };
  }

  async #deleteChunks(recordingId: string): Promise<void> {
    for (const chunk of await this.#chunks(recordingId)) {
      if (chunk.data_key === null && chunk.encryption !== null) continue;
      await this.#deps.storage.delete(chunk.storage_key).catch(() => {});
      await this.#deps.db.write(async (trx) => {
        // The row keeps the chunk's size and hash (a retry is still answered); its key goes with the bytes.
        await trx.updateTable('recording_chunks').set({ data_key: null }).where('recording_id', '=', recordingId).where('idx', '=', chunk.idx).execute();
      });
    }
  }

  #row(recordingId: string): Promise<RecordingsTable | undefined> {
    return this.#deps.db.kysely.selectFrom('recordings').selectAll().where('recording_id', '=', recordingId).executeTakeFirst();
  }

  #chunkRow(recordingId: string, index: number): Promise<RecordingChunksTable | undefined> {
    return this.#deps.db.kysely.selectFrom('recording_chunks').selectAll().where('recording_id', '=', recordingId).where('idx', '=', index).executeTakeFirst();
  }

  #chunks(recordingId: string): Promise<RecordingChunksTable[]> {
    return this.#deps.db.kysely.selectFrom('recording_chunks').selectAll().where('recording_id', '=', recordingId).orderBy('idx').execute();
  }
}

function sealedKeyOf(chunk: RecordingChunksTable): SealedKey | null {
  if (chunk.encryption === null) return null;
  return { scheme: chunk.encryption as SealedKey['scheme'], keyId: chunk.key_id!, dataKey: chunk.data_key! };
}

const tooLarge = (message: string) => new AppError('payload_too_large', message);
const outOfOrder = (next: number, message: string) => new AppError('conflict', message, { 'x-next-index': String(next) });

declare module 'fastify' {
  interface FastifyInstance {
    /** The chunked recording uploads (tests sweep abandoned ones with a moved clock). */
    recordingUploads: ChunkedUploads;
  }
}
