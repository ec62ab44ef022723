// Who may follow a conference's events, and from where a stream starts (no Fastify here: routes.ts serves it).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { accessOf, userPrincipal, type AccessPolicy } from '../conferences/access-policy.js';
import type { ConferenceEventHub, EventListener } from './hub.js';

export interface StreamCaller {
  id: string;
  username: string;
}

export class ConferenceEventsService {
  readonly #db: Kysely<Database>;
  readonly #hub: ConferenceEventHub;
  readonly #access: AccessPolicy;

  constructor(deps: { db: Kysely<Database>; hub: ConferenceEventHub; access: AccessPolicy }) {
    this.#db = deps.db;
    this.#hub = deps.hub;
    this.#access = deps.access;
  }

  /**
   * Checks that the caller may see the conference (its owner, a participant who joined, or a user it issued a call
   * token to: the SDK opens the stream right after start/join, before its join is reported) and returns the sequence
   * number after which the stream starts: `lastEventId` when resuming; otherwise the newest event, except that a
   * conference already over starts before its `ended` event, so a late subscriber still learns that it ended.
   */
  async open(caller: StreamCaller, sessionId: string, lastEventId?: number): Promise<number> {
    const conference = await this.#db
      .selectFrom('conferences')
      .select(['session_id', 'owner_id', 'organisation_id', 'join_policy', 'join_password_hash', 'state'])
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    if (!conference) throw notFound('conference');
    await this.#access.require(userPrincipal(caller), accessOf(conference), { do: 'follow_events' });
    const last = await this.#db
      .selectFrom('conference_events')
      .select((eb) => eb.fn.max('seq').as('seq'))
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    const newest = Number(last?.seq ?? 0);
    if (lastEventId !== undefined) {
      if (lastEventId > newest) throw new AppError('bad_request', `Last-Event-ID ${lastEventId} is beyond this conference's newest event (${newest})`);
      return lastEventId;
    }
    if (conference.state !== 'ended') return newest;
    const ended = await this.#db
      .selectFrom('conference_events')
      .select('seq')
      .where('session_id', '=', sessionId)
      .where('type', '=', 'ended')
      .executeTakeFirst();
    return ended ? Number(ended.seq) - 1 : newest;
  }

  /** Subscribes to the conference's events after `afterSeq` (see ConferenceEventHub.subscribe). */
  subscribe(sessionId: string, afterSeq: number, listener: EventListener): () => void {
    return this.#hub.subscribe(sessionId, afterSeq, listener);
  }
}
