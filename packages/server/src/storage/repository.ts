// Queries of the storage domain: conference access checks and the files table.
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, FilesTable } from '../db/schema.js';
import { prepareQuery } from '../db/prepared.js';
import { accessOf, type ConferenceAccess } from '../conferences/access-policy.js';

// getConference asks for this on every call (urlStorage): compiled once and answered from the SQLite read cache,
// see db/prepared.ts. The literal LIMIT matters: SQLite runs this several times slower with `limit ?`.
const primaryRecording = prepareQuery(
  (db, p: { sessionId: string }) =>
    db
      .selectFrom('files')
      .selectAll()
      .where('session_id', '=', p.sessionId)
      .where('kind', '=', 'recording')
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .limit(sql.lit(1)),
  { cached: true },
);

/** A conference as the access policy sees it (conferences/access-policy.ts). */
export type ConferenceRef = ConferenceAccess;

const accessColumns = ['session_id', 'owner_id', 'organisation_id', 'join_policy', 'join_password_hash'] as const;

export class FilesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async conference(sessionId: string): Promise<ConferenceRef | undefined> {
    const row = await this.db.selectFrom('conferences').select(accessColumns).where('session_id', '=', sessionId).executeTakeFirst();
    return row && accessOf(row);
  }

  /** Jitsi lowercases room names, and so do we. */
  async conferenceByRoom(roomName: string): Promise<ConferenceRef | undefined> {
    const row = await this.db.selectFrom('conferences').select(accessColumns).where('room_name', '=', roomName.toLowerCase()).executeTakeFirst();
    return row && accessOf(row);
  }

  /** Marks a file shared with the participants (idempotent); false when it is not this conference's. */
  async share(trx: Transaction<Database>, sessionId: string, fileId: string): Promise<boolean> {
    const result = await trx.updateTable('files').set({ shared: 1 }).where('id', '=', fileId).where('session_id', '=', sessionId).executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async insert(trx: Transaction<Database>, file: FilesTable): Promise<void> {
    await trx.insertInto('files').values(file).execute();
  }

  async list(sessionId: string): Promise<FilesTable[]> {
    return this.db
      .selectFrom('files')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('deleted_at', 'is', null)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  async find(fileId: string): Promise<FilesTable | undefined> {
    return this.db.selectFrom('files').selectAll().where('id', '=', fileId).executeTakeFirst();
  }

  /** Ids of the master keys that wrapped the data keys still held (the index files_key_id answers it). */
  async masterKeyIds(): Promise<string[]> {
    const rows = await this.db.selectFrom('files').select('key_id').distinct().where('key_id', 'is not', null).where('data_key', 'is not', null).execute();
    return rows.map((r) => r.key_id!);
  }

  /**
   * The conference's first stored recording, the one `urlStorage` points to; at once when the SQLite read cache has
   * it (getConference's path, see ConferenceService.detailsSoon), else a promise.
   */
  primaryRecording(sessionId: string): FilesTable | undefined | Promise<FilesTable | undefined> {
    return primaryRecording.firstSoon(this.db, { sessionId });
  }
}
