// The access audit (LGPD Art. 37, HIPAA §164.312(b)): one row per read of health data, written before the data is
// sent. Fail-closed: a read whose row cannot be committed is refused (503), never served unrecorded. Rows of reads
// made at about the same time share one INSERT (a statement whose text does not depend on how many rows it carries).
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { AccessAuditTable } from '../db/schema.js';
import { iso, type Clock } from '../lib/clock.js';
import { newOrderedId } from '../lib/ids.js';
import { AppError } from '../errors.js';
import { addressKeeper } from './addresses.js';
import type { AddressPolicy } from '../config.js';

/** What was read. */
export type AuditAction = 'conference_list' | 'conference_details' | 'file_list' | 'file_download' | 'manifest' | 'verification_bundle' | 'event_stream';

export interface AccessRead {
  /** `user:<id>`, `verification-link:<hash>` or `signed-link:<hash>` (see linkActor). */
  actor: string;
  action: AuditAction;
  sessionId?: string;
  fileId?: string;
  /** The ids a listing returned (conferences, or a conference's files). */
  listed?: string[];
  /** The client address as the server sees it (the policy decides what is kept). */
  ip?: string;
}

/** An audit row as the API and the CLI show it. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  sessionId: string | null;
  fileId: string | null;
  listed: string[] | null;
  address: string | null;
}

export interface AuditQuery {
  /** Reads of this conference: its details, files, record and event stream, and the listings that showed it. */
  sessionId?: string;
  actor?: string;
  fileId?: string;
  action?: string;
  since?: number;
  until?: number;
  limit: number;
  cursor?: string;
}

/** Rows of one INSERT at most (a busier moment is written in several). */
const MAX_BATCH = 500;

interface Pending {
  row: AccessAuditTable;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class AccessAudit {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #keep: (ip: string | undefined) => string | null;
  #queue: Pending[] = [];
  #flushing = false;

  constructor(deps: { db: Db; clock: Clock; addresses: AddressPolicy; secret: string }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#keep = addressKeeper(deps.addresses, deps.secret);
  }

  /**
   * Records a read; resolves once its row is committed. Rejects with `service_unavailable` when it cannot be: the
   * caller must then not send the data (fail-closed).
   */
  record(read: AccessRead): Promise<void> {
    const row: AccessAuditTable = {
      // Time-ordered: a random id put each row at a random place of the primary key's B-tree, which cost more than
      // the rest of the insert once the table had grown (half the audited getConference's time went there).
      id: newOrderedId(),
      at: this.#clock.now(),
      actor: read.actor,
      action: read.action,
      session_id: read.sessionId ?? null,
      file_id: read.fileId ?? null,
      listed: read.listed ? JSON.stringify(read.listed) : null,
      address: this.#keep(read.ip),
    };
    return new Promise((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      if (!this.#flushing) {
        this.#flushing = true;
        // After the poll phase: reads answered in the same turn of the event loop share the INSERT.
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    while (this.#queue.length) {
      const batch = this.#queue.splice(0, MAX_BATCH);
      try {
        await this.#insert(batch.map((p) => p.row));
        for (const pending of batch) pending.resolve();
      } catch (error) {
        const refused = new AppError(
          'service_unavailable',
          'the read could not be recorded in the access audit; try again shortly',
          { 'retry-after': '5' },
          { cause: error },
        );
        for (const pending of batch) pending.reject(refused);
      }
    }
    this.#flushing = false;
  }

  /** One statement for any number of rows, its text always the same (one prepared statement, one plan). */
  async #insert(rows: AccessAuditTable[]): Promise<void> {
    const json = JSON.stringify(rows);
    if (this.#db.dialect === 'postgres') {
      await sql`insert into access_audit (id, at, actor, action, session_id, file_id, listed, address)
        select id, at, actor, action, session_id, file_id, listed, address from json_populate_recordset(null::access_audit, ${json}::json)`.execute(
        this.#db.kysely,
      );
    } else {
      // db/database.ts: this statement leaves the SQLite read cache alone (no cached read looks at this table).
      await sql`insert into access_audit (id, at, actor, action, session_id, file_id, listed, address)
        select json_extract(value, '$.id'), json_extract(value, '$.at'), json_extract(value, '$.actor'), json_extract(value, '$.action'),
          json_extract(value, '$.session_id'), json_extract(value, '$.file_id'), json_extract(value, '$.listed'), json_extract(value, '$.address')
        from json_each(${json})`.execute(this.#db.kysely);
    }
  }

  /** Rows matching `q`, oldest first, and a cursor for the next page when there is one. */
  async query(q: AuditQuery): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
    let query = this.#db.kysely.selectFrom('access_audit').selectAll();
    if (q.sessionId !== undefined) {
      const sessionId = q.sessionId;
      // A listing names the conference in its `listed` array (JSON): "…\"<id>\"…", with LIKE's wildcards escaped.
      const pattern = `%${JSON.stringify(sessionId).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      query = query.where((eb) =>
        eb.or([eb('session_id', '=', sessionId), eb.and([eb('action', '=', 'conference_list'), sql<boolean>`listed like ${pattern} escape '\\'`])]),
      );
    }
    if (q.actor !== undefined) query = query.where('actor', '=', q.actor);
    if (q.fileId !== undefined) query = query.where('file_id', '=', q.fileId);
    if (q.action !== undefined) query = query.where('action', '=', q.action);
    if (q.since !== undefined) query = query.where('at', '>=', q.since);
    if (q.until !== undefined) query = query.where('at', '<', q.until);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after) query = query.where((eb) => eb.or([eb('at', '>', after.at), eb.and([eb('at', '=', after.at), eb('id', '>', after.id)])]));
    const rows = await query
      .orderBy('at')
      .orderBy('id')
      .limit(q.limit + 1)
      .execute();
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    return { items: page.map(present), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  }

  /** Deletes rows older than `cutoff`, at most `limit`; returns how many (the retention job calls it until 0). */
  async deleteBefore(cutoff: number, limit: number): Promise<number> {
    const doomed = this.#db.kysely.selectFrom('access_audit').select('id').where('at', '<', cutoff).orderBy('at').limit(limit);
    const result = await this.#db.kysely.deleteFrom('access_audit').where('id', 'in', doomed).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/** The actor of a read through a link that names no one: a short hash of its secret part, which the link's holder can compute. */
export { linkActor } from './link-actor.js';

function present(row: AccessAuditTable): AuditEntry {
  return {
    id: row.id,
    at: iso(row.at)!,
    actor: row.actor,
    action: row.action,
    sessionId: row.session_id,
    fileId: row.file_id,
    listed: row.listed === null ? null : (JSON.parse(row.listed) as string[]),
    address: row.address,
  };
}

const encodeCursor = (row: AccessAuditTable) => Buffer.from(`${row.at}:${row.id}`).toString('base64url');

function decodeCursor(cursor: string): { at: number; id: string } {
  const match = /^(\d{1,16}):(.{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString());
  if (!match) throw new AppError('bad_request', 'invalid cursor');
  return { at: Number(match[1]), id: match[2] };
}
