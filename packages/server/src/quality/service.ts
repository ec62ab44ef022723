// Call quality summaries of the built-in room: stored as pages report them, read by the conference's owner or the admin.
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { notFound } from '../errors.js';
import { AccessPolicy, userPrincipal } from '../conferences/access-policy.js';
import { parseQualitySummary, type QualitySummary } from '../room/quality.js';
import type { QualityReply } from '@v4h/protocol';

/** Keeps each participant's latest summary and answers who may read them. */
export class QualityService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #access: AccessPolicy;

  /** `access`: who may read the summaries (default: a policy over `db`). */
  constructor(deps: { db: Db; clock: Clock; access?: AccessPolicy }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#access = deps.access ?? new AccessPolicy({ db: deps.db, clock: deps.clock });
  }

  /** Stores (or replaces) a participant's summary; the room service calls it, never a route. */
  async save(sessionId: string, participantId: string, summary: QualitySummary): Promise<void> {
    const row = { session_id: sessionId, participant_id: participantId, reported_at: this.#clock.now(), summary: JSON.stringify(summary) };
    await this.#db.write((trx) =>
      trx
        .insertInto('call_quality')
        .values(row)
        .onConflict((oc) => oc.columns(['session_id', 'participant_id']).doUpdateSet({ reported_at: row.reported_at, summary: row.summary }))
        .execute(),
    );
  }

  /** The summaries of a conference, by participant id: its owner's, or the admin's to read. */
  async forConference(user: { id: string }, sessionId: string, isAdmin: boolean): Promise<QualityReply> {
    const conference = await this.#db.kysely.selectFrom('conferences').select('owner_id').where('session_id', '=', sessionId).executeTakeFirst();
    if (!conference) throw notFound('conference');
    this.#access.check(userPrincipal(user, isAdmin), { ownerId: conference.owner_id }, { do: 'read_quality' });
    const rows = await this.#db.kysely
      .selectFrom('call_quality')
      .select(['participant_id', 'reported_at', 'summary'])
      .where('session_id', '=', sessionId)
      .orderBy('participant_id')
      .execute();
    const participants: QualityReply['participants'] = [];
    for (const row of rows) {
      // Stored already validated; parsed again so that only known fields can leave.
      const summary = parseQualitySummary(JSON.parse(row.summary));
      if (summary) participants.push({ participantId: row.participant_id, reportedAt: Number(row.reported_at), ...summary });
    }
    return { sessionId, participants };
  }
}
