// Erasure (LGPD Art. 18, GDPR Art. 17): deletes a subject's personal data and commitment keys outside the chain,
// optionally the files' bytes, and appends an `erased` event naming what was erased by id only. The chain is never
// touched, so every manifest keeps verifying; the commitments in it open to nothing once their keys are gone.
import { sql, type Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { notFound } from '../errors.js';
import { normalizeUsername } from '../auth/usernames.js';
import { appendEvent, lockConference } from '../db/event-log.js';
import type { FileService } from '../storage/service.js';

/** Whose data to erase: one guest, one user account (everywhere), or everyone's in one conference. */
export type ErasureTarget = { guestId: string } | { username: string } | { sessionId: string };

export interface ErasureOptions {
  /** Also delete the bytes of the files concerned (a conference's files; a user's uploads). */
  files: boolean;
  /** A reason code (it goes into the record): e.g. `data_subject_request`, `retention`. */
  reason: string;
  /** The event-log actor: `user:<adminId>`, or `system` (the CLI, the retention job). */
  actor: string;
  /**
   * A conference whose personal data was erased before is left alone (no second `erased` event): the retention job
   * sets this, so that two passes, or two processes, erase a conference once.
   */
  once?: boolean;
}

/** What was done, by id: the `erased` events say the same. */
export interface ErasureReport {
  subjects: string[];
  conferences: string[];
  keysDestroyed: number;
  filesDeleted: string[];
  /** Conferences recorded before pseudonymous events (docs/manifest.md §1.1): their chain still holds what it held. */
  prePseudonymous: string[];
}

interface Plan {
  subjects: string[];
  /** Conferences that get an `erased` event, and the subjects each one concerns. */
  conferences: Map<string, string[]>;
  files: { id: string; session_id: string }[];
  scrub: (trx: Transaction<Database>, now: number) => Promise<void>;
  /** True when this target's personal data was erased before (only a conference knows). */
  erasedBefore?: (trx: Transaction<Database>) => Promise<boolean>;
}

export class ErasureService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #files: FileService;

  constructor(deps: { db: Db; clock: Clock; files: FileService }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#files = deps.files;
  }

  async erase(target: ErasureTarget, options: ErasureOptions): Promise<ErasureReport> {
    const plan =
      'guestId' in target
        ? await this.#guest(target.guestId)
        : 'username' in target
          ? await this.#user(target.username)
          : await this.#conference(target.sessionId);
    const filesDeleted: string[] = [];
    if (options.files) {
      for (const ref of plan.files) {
        const file = await this.#db.kysely.selectFrom('files').selectAll().where('id', '=', ref.id).executeTakeFirst();
        if (file && (await this.#files.deleteBytes(file, options.reason, options.actor))) filesDeleted.push(file.id);
      }
    }
    const now = this.#clock.now();
    const sqlite = this.#db.dialect === 'sqlite';
    // SQLite keeps deleted text in free space until it is reused: overwrite it with zeros while erasing.
    if (sqlite) await sql`pragma secure_delete = on`.execute(this.#db.kysely);
    let keysDestroyed = 0;
    let skipped = false;
    try {
      await this.#db.write(async (trx) => {
        for (const sessionId of plan.conferences.keys()) await lockConference(trx, sessionId, this.#db.dialect);
        // Checked under the conference's lock: of two concurrent erasures, the second sees the first's mark.
        if (options.once && (await plan.erasedBefore?.(trx))) {
          skipped = true;
          return;
        }
        await plan.scrub(trx, now);
        if (plan.subjects.length) {
          const deleted = await trx.deleteFrom('subject_keys').where('subject', 'in', plan.subjects).executeTakeFirst();
          keysDestroyed = Number(deleted.numDeletedRows);
        }
        for (const [sessionId, subjects] of plan.conferences) {
          const deletedHere = filesDeleted.filter((id) => plan.files.some((f) => f.id === id && f.session_id === sessionId));
          await appendEvent(trx, {
            sessionId,
            type: 'erased',
            actor: options.actor,
            at: now,
            data: { subjects, filesDeleted: deletedHere, reason: options.reason },
          });
        }
      });
    } finally {
      if (sqlite) {
        await sql`pragma secure_delete = off`.execute(this.#db.kysely);
        // The write-ahead log still holds pages as they were before: fold it into the database and empty it.
        await sql`pragma wal_checkpoint(TRUNCATE)`.execute(this.#db.kysely);
      }
    }
    if (skipped) return { subjects: [], conferences: [], keysDestroyed: 0, filesDeleted, prePseudonymous: [] };
    const conferences = [...plan.conferences.keys()];
    const pre = conferences.length
      ? await this.#db.kysely.selectFrom('conferences').select('session_id').where('session_id', 'in', conferences).where('pseudonymous', '=', 0).execute()
      : [];
    return { subjects: plan.subjects, conferences, keysDestroyed, filesDeleted, prePseudonymous: pre.map((r) => r.session_id) };
  }

  async #guest(guestId: string): Promise<Plan> {
    const guest = await this.#db.kysely.selectFrom('guests').select(['guest_id', 'session_id']).where('guest_id', '=', guestId).executeTakeFirst();
    if (!guest) throw notFound('guest');
    const subject = `guest:${guestId}`;
    return {
      subjects: [subject],
      conferences: new Map([[guest.session_id, [subject]]]),
      files: [],
      scrub: async (trx, now) => {
        await trx.updateTable('guests').set({ name: null, avatar_url: null, erased_at: now }).where('guest_id', '=', guestId).execute();
        // A join link's caller id of the person (an EHR's patient id) is theirs too (apikeys/join-links.ts).
        await trx.updateTable('join_links').set({ external_id: null }).where('guest_id', '=', guestId).execute();
        // The owner's words to a denied guest (waiting room).
        await trx.updateTable('waiting_room').set({ deny_reason: null }).where('guest_id', '=', guestId).execute();
        // The room's participant ids of this guest, from its joins (the events name the guest by id).
        const joins = await trx
          .selectFrom('conference_events')
          .select('data')
          .where('session_id', '=', guest.session_id)
          .where('actor', '=', subject)
          .where('type', '=', 'joined')
          .execute();
        const ids = joins.map((j) => (JSON.parse(j.data) as { participantId?: string }).participantId).filter((id): id is string => typeof id === 'string');
        ids.push(guestId);
        await trx
          .updateTable('participants')
          .set({ display_name: null })
          .where('session_id', '=', guest.session_id)
          .where('participant_id', 'in', ids)
          .execute();
      },
    };
  }

  async #user(username: string): Promise<Plan> {
    const user = await this.#db.kysely.selectFrom('users').select(['id', 'username']).where('username', '=', normalizeUsername(username)).executeTakeFirst();
    if (!user) throw notFound('user');
    const subject = `user:${user.id}`;
    const owned = await this.#db.kysely.selectFrom('conferences').select('session_id').where('owner_id', '=', user.id).execute();
    const joined = await this.#db.kysely.selectFrom('participants').select('session_id').where('user_id', '=', user.id).execute();
    const sessions = [...new Set([...owned, ...joined].map((r) => r.session_id))];
    const files = await this.#db.kysely.selectFrom('files').select(['id', 'session_id']).where('uploader', '=', `user:${user.username}`).execute();
    return {
      subjects: [subject, ...files.map((f) => `file:${f.id}`)],
      conferences: new Map(sessions.map((id) => [id, [subject]])),
      files,
      scrub: async (trx) => {
        // The account stays (conferences reference it) but names nobody and can no longer sign in.
        await trx
          .updateTable('users')
          .set({ username: `erased-${user.id}`, password_hash: '!', disabled: 1 })
          .where('id', '=', user.id)
          .execute();
        await trx.deleteFrom('refresh_tokens').where('user_id', '=', user.id).execute();
        await trx.deleteFrom('rate_limits').where('key', '=', `login:user:${user.username}`).execute();
        await trx.updateTable('participants').set({ display_name: null }).where('user_id', '=', user.id).execute();
        // The owner's words to them when they waited to join (waitingRoomForUsers).
        await trx.updateTable('waiting_users').set({ deny_reason: null }).where('user_id', '=', user.id).execute();
        await trx.updateTable('conferences').set({ host_name: null }).where('owner_id', '=', user.id).execute();
        await trx.updateTable('files').set({ uploader: subject, name: 'erased' }).where('uploader', '=', `user:${user.username}`).execute();
      },
    };
  }

  async #conference(sessionId: string): Promise<Plan> {
    const conf = await this.#db.kysely.selectFrom('conferences').select('session_id').where('session_id', '=', sessionId).executeTakeFirst();
    if (!conf) throw notFound('conference');
    const guests = await this.#db.kysely.selectFrom('guests').select('guest_id').where('session_id', '=', sessionId).execute();
    const files = await this.#db.kysely.selectFrom('files').select(['id', 'session_id']).where('session_id', '=', sessionId).execute();
    const subjects = [...guests.map((g) => `guest:${g.guest_id}`), ...files.map((f) => `file:${f.id}`)];
    return {
      subjects,
      conferences: new Map([[sessionId, subjects]]),
      files,
      scrub: async (trx, now) => {
        await trx.updateTable('guests').set({ name: null, avatar_url: null, erased_at: now }).where('session_id', '=', sessionId).execute();
        await trx.updateTable('join_links').set({ external_id: null }).where('session_id', '=', sessionId).execute();
        await trx.updateTable('waiting_room').set({ deny_reason: null }).where('session_id', '=', sessionId).execute();
        await trx.updateTable('waiting_users').set({ deny_reason: null }).where('session_id', '=', sessionId).execute();
        await trx.updateTable('participants').set({ display_name: null }).where('session_id', '=', sessionId).execute();
        await trx.updateTable('conferences').set({ host_name: null }).where('session_id', '=', sessionId).execute();
        await trx.updateTable('files').set({ name: 'erased' }).where('session_id', '=', sessionId).execute();
        await trx
          .updateTable('conferences')
          .set({ personal_data_erased_at: now })
          .where('session_id', '=', sessionId)
          .where('personal_data_erased_at', 'is', null)
          .execute();
      },
      erasedBefore: async (trx) => {
        const row = await trx.selectFrom('conferences').select('personal_data_erased_at').where('session_id', '=', sessionId).executeTakeFirst();
        return row?.personal_data_erased_at != null;
      },
    };
  }
}
