// Consent as evidence (issue 21): the owner asks with an exact text (kept in consent_requests, per language); each
// answer is a `consent_given` / `consent_declined` event naming the person by id and the SHA-256 of the text shown.
// A decline while the call is being recorded stops the recording in the same transaction.
import type { Kysely, Transaction } from 'kysely';
import type { ConsentAnswer, ConsentList, ConsentRequest, ConsentRequestBody } from '@v4h/protocol';
import type { Db } from '../db/database.js';
import type { ConferencesTable, ConsentRequestsTable, Database } from '../db/schema.js';
import { iso, type Clock } from '../lib/clock.js';
import { newId, sha256Hex } from '../lib/ids.js';
import { AppError, notFound, unauthorized } from '../errors.js';
import { appendEvent, lockConference } from '../db/event-log.js';
import { accessOf, userPrincipal, type AccessPolicy } from '../conferences/access-policy.js';
import { accountAdmitted } from '../auth/admission.js';
import type { RoomTokenVerifier } from '../room/room-tokens.js';
import type { GuestTokens } from '../conferences/guest-tokens.js';
import { DEFAULT_CONSENT_TEXTS, DEFAULT_LOCALE, pickLocale } from './consent-texts.js';
import { callSubjects, consentStates, withoutConsent } from './call-subjects.js';
import { stopLiveRecordings } from '../conferences/live-recordings.js';

type Executor = Kysely<Database> | Transaction<Database>;

/** Who answers: a signed-in user, or a guest of a guest link (its room token). */
export type ConsentPrincipal = { kind: 'user'; id: string } | { kind: 'guest'; id: string };

/** How the log names a person: `user:<userId>` or `guest:<guestId>`. */
export const subjectOf = (who: ConsentPrincipal) => `${who.kind}:${who.id}`;

/** V4H_RECORDING_CONSENT. */
export type ConsentMode = 'required' | 'off';

/** An expired room token still proves a participant who is in the call (as the room lets them resume): this long at most. */
const EXPIRED_ROOM_TOKEN_GRACE_S = 24 * 3600;

export interface ConsentServiceDeps {
  db: Db;
  clock: Clock;
  access: AccessPolicy;
  mode: ConsentMode;
  /** The built-in room's (and self-hosted Jitsi's) token check: a guest answers with the token of their link. */
  verifyRoomToken?: RoomTokenVerifier;
  /** V4H guest tokens (a guest link of a conference with a waiting room): the guest answers on the guest page. */
  guestTokens?: GuestTokens;
}

/** 409 consent_missing naming who has not consented (also in `X-Consent-Missing`, comma-separated). */
export function consentMissing(subjects: string[], what: string): AppError {
  return new AppError('consent_missing', `${what}: no consent to recording from ${subjects.join(', ')}`, { 'x-consent-missing': subjects.join(',') });
}

export class ConsentService {
  readonly #deps: ConsentServiceDeps;

  constructor(deps: ConsentServiceDeps) {
    this.#deps = deps;
  }

  get mode(): ConsentMode {
    return this.#deps.mode;
  }

  /** The owner asks everyone in the call; the exact texts are kept, the log holds their hashes. */
  async request(user: { id: string }, sessionId: string, body: ConsentRequestBody): Promise<ConsentRequest> {
    const now = this.#deps.clock.now();
    const texts: Record<string, string> = body.text !== undefined ? { [body.locale ?? DEFAULT_LOCALE]: body.text } : { ...DEFAULT_CONSENT_TEXTS };
    const locale = body.text !== undefined ? (body.locale ?? DEFAULT_LOCALE) : pickLocale(texts, body.locale, DEFAULT_LOCALE);
    const row: ConsentRequestsTable = {
      request_id: newId(),
      session_id: sessionId,
      purpose: body.purpose,
      locale,
      texts: JSON.stringify(texts),
      created_by: user.id,
      created_at: now,
    };
    await this.#write(sessionId, async (trx, conference) => {
      this.#deps.access.check(userPrincipal(user), { ownerId: conference.owner_id }, { do: 'manage' });
      requireOpen(conference);
      await trx.insertInto('consent_requests').values(row).execute();
      await appendEvent(trx, {
        sessionId,
        type: 'consent_requested',
        actor: `user:${user.id}`,
        at: now,
        data: {
          requestId: row.request_id,
          purpose: row.purpose,
          locale,
          textSha256: sha256Hex(texts[locale]),
          // Every language's text is hashed: an answer's textSha256 is one of these.
          textSha256s: Object.fromEntries(Object.entries(texts).map(([l, t]) => [l, sha256Hex(t)])),
        },
      });
    });
    return present(row, locale);
  }

  /** The text a participant is shown, in their language when the request has it. */
  async show(who: ConsentPrincipal, sessionId: string, requestId: string, locale?: string): Promise<ConsentRequest> {
    const conference = await this.#conference(sessionId);
    await this.#deps.access.require(who, accessOf(conference), { do: 'consent' });
    const row = await this.#requestRow(sessionId, requestId);
    return present(row, pickLocale(JSON.parse(row.texts) as Record<string, string>, locale, row.locale));
  }

  /**
   * Records an answer as an event (`participantId`: the person, `textSha256`: of the text in `locale`); a decline
   * while recording stops the live recording (`recording_stopped`, reason `consent_declined`).
   */
  async answer(who: ConsentPrincipal, sessionId: string, requestId: string, accepted: boolean, locale?: string): Promise<ConsentAnswer> {
    const now = this.#deps.clock.now();
    const conference = await this.#conference(sessionId);
    await this.#deps.access.require(who, accessOf(conference), { do: 'consent' });
    const request = await this.#requestRow(sessionId, requestId);
    const texts = JSON.parse(request.texts) as Record<string, string>;
    const shown = pickLocale(texts, locale, request.locale);
    const participantId = subjectOf(who);
    const data = { requestId, participantId, purpose: request.purpose, textSha256: sha256Hex(texts[shown]), locale: shown };
    const event = await this.#write(sessionId, async (trx, row) => {
      requireOpen(row);
      const appended = await appendEvent(trx, { sessionId, type: accepted ? 'consent_given' : 'consent_declined', actor: participantId, at: now, data });
      if (!accepted && request.purpose === 'recording') {
        await stopLiveRecordings(trx, sessionId, now, { actor: participantId, reason: 'consent_declined', participantId });
      }
      return appended;
    });
    return { seq: event.seq, ...data, purpose: 'recording', accepted, at: iso(now)!, hash: event.hash };
  }

  /** Every answer in the log, oldest first (owner). */
  async list(user: { id: string }, sessionId: string): Promise<ConsentList> {
    const conference = await this.#conference(sessionId);
    this.#deps.access.check(userPrincipal(user), { ownerId: conference.owner_id }, { do: 'manage' });
    const events = await this.#deps.db.kysely
      .selectFrom('conference_events')
      .selectAll()
      .where('session_id', '=', sessionId)
      .where('type', 'in', ['consent_given', 'consent_declined'])
      .orderBy('seq')
      .execute();
    return {
      items: events.map((e) => {
        const data = JSON.parse(e.data) as Record<string, string>;
        return {
          seq: Number(e.seq),
          requestId: data.requestId,
          participantId: data.participantId,
          purpose: 'recording' as const,
          accepted: e.type === 'consent_given',
          textSha256: data.textSha256,
          locale: data.locale,
          at: iso(Number(e.at))!,
          hash: e.hash,
        };
      }),
    };
  }

  /**
   * The people (owner aside) without consent to recording: of those still in the call (`presentOnly`, starting a
   * recording), or of everyone who joined (storing one). Empty when V4H_RECORDING_CONSENT=off.
   */
  async missing(executor: Executor, sessionId: string, ownerId: string, options: { presentOnly: boolean }): Promise<string[]> {
    if (this.#deps.mode === 'off') return [];
    const [subjects, states] = await Promise.all([callSubjects(executor, sessionId, options), consentStates(executor, sessionId)]);
    return withoutConsent(subjects, states, ownerId);
  }

  /** The upload gate (storage/service.ts): storing a recording needs everyone who joined to have consented. */
  async requireForStorage(sessionId: string): Promise<void> {
    if (this.#deps.mode === 'off') return;
    const conference = await this.#conference(sessionId);
    const missing = await this.missing(this.#deps.db.kysely, sessionId, conference.owner_id, { presentOnly: false });
    if (missing.length > 0) throw consentMissing(missing, 'this recording cannot be stored');
  }

  /** The latest consent request for recording: what a late joiner answers. */
  async latestRequestId(executor: Executor, sessionId: string): Promise<string | null> {
    const row = await executor
      .selectFrom('consent_requests')
      .select('request_id')
      .where('session_id', '=', sessionId)
      .where('purpose', '=', 'recording')
      .orderBy('created_at', 'desc')
      .orderBy('request_id', 'desc')
      .executeTakeFirst();
    return row?.request_id ?? null;
  }

  /**
   * The person a guest token (a guest link of a conference with a waiting room) or a room token (built-in room, or a
   * guest link without a waiting room) proves, for this conference: a user's account must still
   * be admitted; an expired token only while its person is in the call (as the room lets a participant resume).
   */
  async principalFromCallToken(sessionId: string, token: string): Promise<ConsentPrincipal> {
    const verify = this.#deps.verifyRoomToken;
    const refused = unauthorized('neither an access token, nor a guest or room token of this conference');
    const conference = await this.#conference(sessionId);
    // A V4H guest token (its own key: no other token passes for one) names its conference and guest.
    const guest = await this.#deps.guestTokens?.verify(token, this.#deps.clock.now()).catch(() => undefined);
    if (guest) {
      if (guest.sessionId !== sessionId) throw refused;
      return { kind: 'guest', id: guest.guestId };
    }
    const identity = verify && (await verify(token, conference.room_name, { expiredUpTo: EXPIRED_ROOM_TOKEN_GRACE_S }).catch(() => undefined));
    if (!identity) throw refused;
    const who: ConsentPrincipal = identity.userId !== null ? { kind: 'user', id: identity.userId } : { kind: 'guest', id: identity.id };
    if (who.kind === 'user' && !(await accountAdmitted(this.#deps.db.kysely, who.id, identity.familyId))) {
      throw unauthorized('this account may no longer be in the call (disabled, or signed out)');
    }
    if (identity.expiresAt <= this.#deps.clock.now()) {
      const present = await callSubjects(this.#deps.db.kysely, sessionId, { presentOnly: true });
      if (!present.some((p) => p.subject === subjectOf(who))) throw unauthorized('the room token has expired');
    }
    return who;
  }

  async #conference(sessionId: string): Promise<ConferencesTable> {
    const row = await this.#deps.db.kysely.selectFrom('conferences').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
    if (!row) throw notFound('conference');
    return row;
  }

  async #requestRow(sessionId: string, requestId: string): Promise<ConsentRequestsTable> {
    const row = await this.#deps.db.kysely
      .selectFrom('consent_requests')
      .selectAll()
      .where('request_id', '=', requestId)
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    if (!row) throw notFound('consent request');
    return row;
  }

  async #write<T>(sessionId: string, change: (trx: Transaction<Database>, row: ConferencesTable) => Promise<T>): Promise<T> {
    return this.#deps.db.write(async (trx) => {
      const row = await lockConference(trx, sessionId, this.#deps.db.dialect);
      if (!row) throw notFound('conference');
      return change(trx, row);
    });
  }
}

function requireOpen(row: ConferencesTable) {
  if (row.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
}

function present(row: ConsentRequestsTable, locale: string): ConsentRequest {
  const text = (JSON.parse(row.texts) as Record<string, string>)[locale];
  return {
    requestId: row.request_id,
    sessionId: row.session_id,
    purpose: 'recording',
    text,
    textSha256: sha256Hex(text),
    locale,
    created: iso(Number(row.created_at))!,
  };
}
