// Recordings and attachments: streamed, hashed uploads into the storage engine, each recorded in the event log.
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database, FilesTable } from '../db/schema.js';
import type { StoredFile } from '@v4h/protocol';
import { iso, type Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { AppError, forbidden, notFound } from '../errors.js';
import { appendEvent, lockConference } from '../db/event-log.js';
import { commitPersonalData } from '../db/commitments.js';
import { NotFoundInStorage, type ByteRange } from './backend.js';
import { IntegrityError, MasterKeyError, SCHEME, type EncryptedStorage, type MasterKeyring, type SealedKey } from './encryption.js';
import { declaredSha256 } from './digests.js';
import { HashingStream } from './hashing-stream.js';
import { baseMediaType, defaultName, isAllowed, allowedTypes, type FileKind } from '../lib/media-types.js';
import { FilesRepository, type ConferenceRef } from './repository.js';
import { parseRange } from './ranges.js';
import { createLinkSigner, type LinkSigner } from './signed-links.js';
import { AccessPolicy, userPrincipal, type FileAccess, type Principal as AccessPrincipal } from '../conferences/access-policy.js';

/** Who is uploading or reading: a signed-in user, or the recorder service (Jibri). */
export type Principal = { kind: 'user'; id: string; username: string } | { kind: 'recorder' };

export interface UploadInput {
  principal: Principal;
  /** The conference, by session id, or by Jitsi room name (the recorder only knows the room). */
  target: { sessionId: string } | { roomName: string };
  kind: FileKind;
  name?: string;
  /** The owner shares it with the participants at upload (else only the owner and the uploader see it). */
  shared?: boolean;
  contentType?: string;
  contentLength?: number;
  contentEncoding?: string;
  /** Raw `Repr-Digest` / `Content-Digest` header values, if any. */
  digests: Array<string | undefined>;
  body: Readable;
  /** A recording whose consent was checked when it started (recordings/): the consent gate is not asked again. */
  consentChecked?: boolean;
}

/** A stored file as the API shows it (the wire's type); `url` is a time-limited link that needs no token. */
export type { StoredFile };

/** The request's `Range` and `If-Range` headers; `headersOnly` for HEAD (the bytes are not fetched). */
export interface RangeHeaders {
  range?: string;
  ifRange?: string;
  headersOnly?: boolean;
}

/** An open download: the bytes (whole or one range) and what the response needs to say about them. */
export interface Download {
  file: FilesTable;
  range?: ByteRange;
  body: Readable;
}

export interface FileServiceDeps {
  db: Db;
  clock: Clock;
  /** The storage engine behind the encryption layer: every file is stored encrypted under its own key. */
  storage: EncryptedStorage;
  maxUploadBytes: number;
  /** Derives the key that signs disk download links. */
  tokenSecret: string;
  publicUrl: string;
  /** Lifetime of download links (default one hour). */
  linkTtlSeconds?: number;
  /** An upload receiving nothing this long (while not held back by the engine) is dropped (default 60 s). */
  uploadIdleTimeoutMs?: number;
  /** Who may upload, list and read (default: a policy over `db`). */
  access?: AccessPolicy;
  /**
   * An upload receiving less than `minBytesPerSecond` over a window of `windowSeconds` (time held back by the engine
   * aside) is dropped; each uploader (a user, or the recorder) runs at most `maxPerUser` uploads at once.
   */
  uploadLimits?: { minBytesPerSecond: number; windowSeconds: number; maxPerUser: number };
  /**
   * Storing a recording asks this first (V4H_RECORDING_CONSENT, recordings/consents.ts): it throws 409 consent_missing
   * unless everyone who joined consented. Absent: recordings are stored without asking.
   */
  recordingConsent?: (sessionId: string) => Promise<void>;
}

export class FileService {
  readonly #deps: FileServiceDeps;
  readonly #repo: FilesRepository;
  readonly #links: LinkSigner;
  readonly #ttl: number;
  readonly #access: AccessPolicy;

  constructor(deps: FileServiceDeps) {
    this.#deps = deps;
    this.#access = deps.access ?? new AccessPolicy({ db: deps.db, clock: deps.clock });
    this.#repo = new FilesRepository(deps.db.kysely);
    this.#links = createLinkSigner(deps.tokenSecret);
    this.#ttl = deps.linkTtlSeconds ?? 3600;
  }

  /** Uploads in progress per uploader (`user:<id>` or `recorder`). */
  readonly #running = new Map<string, number>();

  /**
   * Streams one upload into storage, hashing it on the way; commits the object, its row and its event, or nothing.
   * Throws rate_limited (429) when the uploader already runs the most uploads allowed at once.
   */
  async upload(input: UploadInput): Promise<StoredFile> {
    const key = input.principal.kind === 'recorder' ? 'recorder' : `user:${input.principal.id}`;
    const running = this.#running.get(key) ?? 0;
    const max = this.#deps.uploadLimits?.maxPerUser ?? Infinity;
    if (running >= max) {
      throw new AppError('rate_limited', `at most ${max} uploads at once; wait for one to finish`, { 'Retry-After': '5' });
    }
    this.#running.set(key, running + 1);
    try {
      return await this.#upload(input);
    } finally {
      const left = this.#running.get(key)! - 1;
      if (left > 0) this.#running.set(key, left);
      else this.#running.delete(key);
    }
  }

  async #upload(input: UploadInput): Promise<StoredFile> {
    const conference = await this.#uploadTarget(input);
    await this.#access.require(accessPrincipal(input.principal), conference, { do: 'upload', kind: input.kind, shared: input.shared });
    const contentType = this.#checkType(input);
    if (input.kind === 'recording' && !input.consentChecked) await this.#deps.recordingConsent?.(conference.sessionId);
    const { maxUploadBytes } = this.#deps;
    if (input.contentLength !== undefined && input.contentLength > maxUploadBytes) {
      throw new AppError('payload_too_large', `the file exceeds the ${maxUploadBytes}-byte limit`);
    }
    if (input.contentLength === 0) throw new AppError('bad_request', 'the file is empty');
    const expected = declaredSha256(input.digests);

    const fileId = newId();
    const storageKey = `${fileId.slice(0, 2)}/${fileId}`;
    const hashing = new HashingStream({ maxBytes: maxUploadBytes, expected });
    let sourceError: Error | undefined;
    // A client disconnect fails the engine's write. The request itself is left alone on other errors:
    // destroying it would cut the socket before the 413/400 answer; the route closes the connection instead.
    const abort = (error: Error) => {
      sourceError ??= error;
      hashing.destroy(error);
    };
    input.body.on('error', abort);
    // The engine's put() reports a failed stream; a late 'error' event must not go unheard (and crash).
    hashing.on('error', () => {});
    input.body.once('close', () => input.body.readableEnded || abort(new Error('the client disconnected mid-upload')));
    // A source that failed or closed during the checks above emitted its events before anyone listened: without this,
    // the upload would wait for bytes that never come until the stall timeout.
    if (input.body.destroyed && !input.body.readableEnded) abort(input.body.errored ?? new Error('the client disconnected before the upload began'));
    const stall = this.#watchStall(input.body, hashing, abort);
    input.body.pipe(hashing);
    let sealed: SealedKey;
    try {
      sealed = await this.#deps.storage.put(storageKey, hashing, { contentType });
    } catch (error) {
      throw this.#uploadFailure(hashing.failure ?? error, sourceError);
    } finally {
      stall.stop();
    }
    if (hashing.received === 0) {
      await this.#deps.storage.delete(storageKey);
      throw new AppError('bad_request', 'the file is empty');
    }

    // The files row (an ordinary, erasable table) keeps the username and the file name; the event only ids and a
    // commitment to the name under the file's own key (docs/manifest.md §1.1).
    const uploader = input.principal.kind === 'recorder' ? 'recorder' : `user:${input.principal.username}`;
    const uploaderId = input.principal.kind === 'recorder' ? 'recorder' : `user:${input.principal.id}`;
    const row: FilesTable = {
      id: fileId,
      session_id: conference.sessionId,
      kind: input.kind,
      name: input.name ?? defaultName(input.kind, contentType, fileId),
      size: hashing.received,
      content_type: contentType,
      sha256: hashing.sha256,
      uploader,
      uploader_id: input.principal.kind === 'user' ? input.principal.id : null,
      shared: input.shared ? 1 : 0,
      storage_key: storageKey,
      created_at: this.#deps.clock.now(),
      encryption: sealed.scheme,
      key_id: sealed.keyId,
      data_key: sealed.dataKey,
    };
    try {
      await this.#deps.db.write(async (trx) => {
        await lockConference(trx, conference.sessionId, this.#deps.db.dialect);
        await this.#repo.insert(trx, row);
        await appendEvent(trx, {
          sessionId: conference.sessionId,
          type: 'file_stored',
          actor: uploaderId,
          at: row.created_at,
          data: {
            fileId,
            kind: row.kind,
            size: row.size,
            contentType,
            sha256: row.sha256,
            uploader: uploaderId,
            commitments: await commitPersonalData(trx, `file:${fileId}`, { name: row.name }),
          },
        });
      });
    } catch (error) {
      // The object must not outlive a failed record of it.
      await this.#deps.storage.delete(storageKey).catch(() => {});
      throw error;
    }
    return this.#present(row);
  }

  /**
   * Removes a file's bytes from storage (the conference's owner, or the admin) and appends `file_deleted`; the row
   * and the `file_stored` event stay, so the record still proves what existed. Deleting it again changes nothing.
   */
  async delete(user: { id: string; username: string }, sessionId: string, fileId: string, reason: string, isAdmin: boolean): Promise<void> {
    const conference = await this.#conference(sessionId);
    this.#access.check(userPrincipal(user, isAdmin), conference, { do: 'delete_file' });
    const file = await this.#repo.find(fileId);
    if (!file || file.session_id !== sessionId) throw notFound('file');
    await this.deleteBytes(file, reason, `user:${user.id}`);
  }

  /**
   * Destroys the file's data key first (every copy of the encrypted bytes, backups included, is unreadable from then
   * on), then deletes the bytes, then records it: a failure in between leaves a retry that completes all three. True
   * when this call recorded the deletion (false when it was recorded before, or by a concurrent call).
   */
  async deleteBytes(file: FilesTable, reason: string, actor: string): Promise<boolean> {
    if (file.deleted_at != null) return false;
    if (file.data_key != null) await this.#destroyKey(file.id);
    try {
      await this.#deps.storage.delete(file.storage_key);
    } catch (error) {
      throw storageUnavailable(error);
    }
    const now = this.#deps.clock.now();
    return this.#deps.db.write(async (trx) => {
      await lockConference(trx, file.session_id, this.#deps.db.dialect);
      const updated = await trx
        .updateTable('files')
        .set({ deleted_at: now, deleted_reason: reason })
        .where('id', '=', file.id)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) return false;
      await appendEvent(trx, { sessionId: file.session_id, type: 'file_deleted', actor, at: now, data: { fileId: file.id, sha256: file.sha256, reason } });
      return true;
    });
  }

  /** Overwrites a file's wrapped data key; on SQLite with secure_delete, and the write-ahead log emptied after. */
  async #destroyKey(fileId: string): Promise<void> {
    const { db } = this.#deps;
    const sqlite = db.dialect === 'sqlite';
    if (sqlite) await sql`pragma secure_delete = on`.execute(db.kysely);
    try {
      await db.write(async (trx) => {
        await trx.updateTable('files').set({ data_key: null }).where('id', '=', fileId).execute();
      });
    } finally {
      if (sqlite) {
        await sql`pragma secure_delete = off`.execute(db.kysely);
        await sql`pragma wal_checkpoint(TRUNCATE)`.execute(db.kysely);
      }
    }
  }

  /** The conference's files the caller may see, oldest first: the owner all; others their own and the shared ones. */
  async list(user: { id: string }, sessionId: string): Promise<StoredFile[]> {
    const who = userPrincipal(user);
    const conference = await this.#conference(sessionId);
    await this.#access.require(who, conference, { do: 'list_files' });
    const rows = await this.#repo.list(sessionId);
    const visible = await this.#access.visibleFiles(
      who,
      conference,
      rows.map((row) => ({ ...fileAccess(row), row })),
    );
    return Promise.all(visible.map(({ row }) => this.#present(row)));
  }

  /** Opens a file for an authenticated reader, honouring a Range header. */
  async open(user: { id: string }, sessionId: string, fileId: string, range: RangeHeaders = {}): Promise<Download> {
    const conference = await this.#conference(sessionId);
    const file = await this.#repo.find(fileId);
    // A file the caller may not see is "not found", as one that does not exist: its id tells nothing.
    if (!file || file.session_id !== sessionId || file.deleted_at != null) throw notFound('file');
    if (!(await this.#access.allows(userPrincipal(user), conference, { do: 'read_file', file: fileAccess(file) }))) {
      await this.#access.require(userPrincipal(user), conference, { do: 'list_files' });
      throw notFound('file');
    }
    return this.#openRange(file, range);
  }

  /** Owner: lets the participants see a file (idempotent). */
  async share(user: { id: string }, sessionId: string, fileId: string): Promise<StoredFile> {
    const conference = await this.#conference(sessionId);
    this.#access.check(userPrincipal(user), conference, { do: 'manage' });
    if (!(await this.#deps.db.write((trx) => this.#repo.share(trx, sessionId, fileId)))) throw notFound('file');
    return this.#present((await this.#repo.find(fileId))!);
  }

  async #conference(sessionId: string): Promise<ConferenceRef> {
    const conference = await this.#repo.conference(sessionId);
    if (!conference) throw notFound('conference');
    return conference;
  }

  /** Opens a file through a signed link (no token): the signature and expiry are the authorization. */
  async openSigned(fileId: string, expires: number, signature: string, range: RangeHeaders = {}): Promise<Download> {
    if (!this.#links.verify(fileId, expires, signature, this.#deps.clock.now())) {
      throw forbidden('invalid or expired download link');
    }
    const file = await this.#repo.find(fileId);
    if (!file || file.deleted_at != null) throw notFound('file');
    return this.#openRange(file, range);
  }

  /** A stored file as the API shows it, by id (undefined when there is none, or its bytes are deleted). */
  async describe(fileId: string): Promise<StoredFile | undefined> {
    const file = await this.#repo.find(fileId);
    return file && file.deleted_at == null ? this.#present(file) : undefined;
  }

  /**
   * `urlStorage` of a conference: a fresh signed link to its first recording, or null. getConference asks on every
   * poll, so without a recording (the usual answer) the null comes back at once when the lookup is in the SQLite read
   * cache; a link is always a promise (signing may ask the object store).
   */
  primaryRecordingUrl(sessionId: string): string | null | Promise<string | null> {
    const file = this.#repo.primaryRecording(sessionId);
    if (file instanceof Promise) return file.then((found) => (found ? this.#link(found) : null));
    return file ? this.#link(file) : null;
  }

  async #uploadTarget(input: UploadInput): Promise<ConferenceRef> {
    const conference =
      'roomName' in input.target ? await this.#repo.conferenceByRoom(input.target.roomName) : await this.#repo.conference(input.target.sessionId);
    if (!conference) throw notFound('conference');
    return conference;
  }

  #checkType(input: UploadInput): string {
    const encoding = input.contentEncoding?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') throw new AppError('unsupported_media_type', 'Content-Encoding is not supported; send the file as it is');
    const type = baseMediaType(input.contentType);
    if (!type || !isAllowed(input.kind, type)) {
      throw new AppError('unsupported_media_type', `a ${input.kind} must be one of: ${allowedTypes(input.kind).join(', ')}`);
    }
    return type;
  }

  async #openRange(file: FilesTable, headers: RangeHeaders): Promise<Download> {
    // If-Range: serve a range only of the version the client already holds (our ETag is the SHA-256).
    const current = headers.ifRange === undefined || headers.ifRange.trim() === `"${file.sha256}"`;
    const range = current ? parseRange(headers.range, file.size) : undefined;
    if (range === 'unsatisfiable') {
      throw new AppError('range_not_satisfiable', `the file has ${file.size} bytes`, { 'content-range': `bytes */${file.size}` });
    }
    // Its key destroyed (an erasure or deletion under way): nothing can read it any more.
    if (file.encryption != null && file.data_key == null) throw notFound('file');
    if (headers.headersOnly) return { file, range, body: Readable.from([]) };
    try {
      return { file, range, body: await this.#deps.storage.get(file.storage_key, sealedKeyOf(file), file.size, range) };
    } catch (error) {
      if (error instanceof NotFoundInStorage) throw new AppError('service_unavailable', 'the file is missing from storage', {}, { cause: error });
      if (error instanceof MasterKeyError || error instanceof IntegrityError)
        throw new AppError('internal_error', 'the stored file cannot be decrypted', {}, { cause: error });
      throw storageUnavailable(error);
    }
  }

  /**
   * Drops an upload whose client stopped sending without closing the connection, or sends slower than the minimum
   * rate (else it would hold an open file and a socket indefinitely). Time spent held back by a slow engine does not
   * count.
   */
  #watchStall(body: Readable, hashing: HashingStream, abort: (error: Error) => void): { stop(): void } {
    const idleMs = this.#deps.uploadIdleTimeoutMs ?? 60_000;
    const { minBytesPerSecond = 0, windowSeconds = 30 } = this.#deps.uploadLimits ?? {};
    const windowMs = windowSeconds * 1000;
    let last = Date.now();
    let seen = 0;
    // The rate is judged over tumbling windows: a byte every 20 s keeps an upload from going idle, not from being slow.
    let windowStart = last;
    let windowBase = 0;
    const drop = (message: string) => {
      abort(new Error(message));
      body.destroy(); // closes the connection
    };
    const timer = setInterval(
      () => {
        const now = Date.now();
        if (hashing.writableNeedDrain) {
          // Held back by the engine: neither idle nor slow on the client's part.
          seen = hashing.received;
          last = windowStart = now;
          windowBase = hashing.received;
          return;
        }
        if (hashing.received !== seen) {
          seen = hashing.received;
          last = now;
        } else if (now - last >= idleMs) {
          return drop(`no data for ${idleMs / 1000} s: upload dropped`);
        }
        if (now - windowStart >= windowMs) {
          if ((hashing.received - windowBase) * 1000 < minBytesPerSecond * (now - windowStart)) {
            return drop(`slower than ${minBytesPerSecond} bytes/s over ${windowSeconds} s: upload dropped`);
          }
          windowStart = now;
          windowBase = hashing.received;
        }
      },
      Math.min(1000, idleMs / 4, windowMs / 4),
    );
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }

  #uploadFailure(error: unknown, sourceError: Error | undefined): Error {
    if (error instanceof AppError) return error;
    // The client went away (or sent a broken body): nothing was stored and nobody is waiting for an answer.
    if (sourceError) return new AppError('bad_request', 'the upload was interrupted', {}, { cause: sourceError });
    return storageUnavailable(error);
  }

  async #link(file: FilesTable): Promise<string> {
    const now = this.#deps.clock.now();
    const direct = await this.#deps.storage.signedUrl(file.storage_key, sealedKeyOf(file), {
      expiresIn: this.#ttl,
      contentType: file.content_type,
      filename: file.name,
      now,
    });
    if (direct) return direct;
    const expires = Math.floor(now / 1000) + this.#ttl;
    const query = new URLSearchParams({ expires: String(expires), signature: this.#links.sign(file.id, expires) });
    return `${this.#deps.publicUrl}/api/files/${encodeURIComponent(file.id)}/content?${query}`;
  }

  async #present(file: FilesTable): Promise<StoredFile> {
    return {
      fileId: file.id,
      sessionId: file.session_id,
      kind: file.kind,
      name: file.name,
      size: file.size,
      contentType: file.content_type,
      sha256: file.sha256,
      uploader: file.uploader,
      shared: file.shared === 1,
      created: iso(file.created_at)!,
      url: await this.#link(file),
    };
  }
}

const accessPrincipal = (principal: Principal): AccessPrincipal => (principal.kind === 'recorder' ? principal : userPrincipal(principal));
/**
 * Refuses to start with master keys that cannot open the stored files: every data key in the files table must be
 * wrapped by a key this server holds (V4H_MASTER_KEY, V4H_MASTER_KEY_PREVIOUS or the data dir's key file). `others`
 * are the keys other stored secrets need (webhook signing secrets): a wrong key would otherwise pass on an install
 * with no file yet, and every delivery would fail.
 */
export async function checkMasterKeys(db: Kysely<Database>, keyring: MasterKeyring, others: { what: string; keyIds: string[] }[] = []): Promise<void> {
  const needs = [{ what: "the stored files' data keys", keyIds: await new FilesRepository(db).masterKeyIds() }, ...others];
  const missing = needs.map(({ what, keyIds }) => ({ what, keyIds: keyIds.filter((id) => !keyring.has(id)) })).filter((n) => n.keyIds.length > 0);
  if (missing.length === 0) return;
  const wrapped = missing.map(({ what, keyIds }) => `${what} are wrapped by master key ${keyIds.join(', ')}`).join('; ');
  throw new MasterKeyError(
    `wrong master key: ${wrapped}, and this server has ${keyring.ids.join(', ')}. ` +
      'Set V4H_MASTER_KEY to the key they were stored with (or, with V4H_MASTER_KEY unset, restore the master-key file of the data dir); ' +
      'during a rotation the old key goes in V4H_MASTER_KEY_PREVIOUS (docs/files.md)',
  );
}

/** The sealed data key of an encrypted file, or null for one stored in plaintext before encryption. */
function sealedKeyOf(file: FilesTable): SealedKey | null {
  if (file.encryption == null) return null;
  if (file.encryption !== SCHEME) throw new Error(`file ${file.id}: unknown encryption scheme ${file.encryption}`);
  return { scheme: SCHEME, keyId: file.key_id!, dataKey: file.data_key! };
}

const fileAccess = (file: FilesTable): FileAccess => ({ uploaderId: file.uploader_id, shared: file.shared === 1 });

function storageUnavailable(error: unknown): AppError {
  return new AppError('service_unavailable', 'file storage is unavailable; try again shortly', { 'retry-after': '5' }, { cause: error });
}
