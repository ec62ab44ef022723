// Appointment-bound join links: minted by a conference's owner or an API key of the owner's organisation for someone
// without an account (a patient, a practitioner of the EHR), valid only inside [notBefore, expiresAt]. The record keeps
// the caller's id of the person as a commitment (docs/manifest.md §1.1); the name stays in the erasable guests table.
import { randomBytes } from 'node:crypto';
import { SignJWT, compactVerify } from 'jose';
import type { JoinLink, JoinLinkBody } from '@v4h/protocol';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { iso } from '../lib/clock.js';
import { deriveKey } from '../lib/keys.js';
import { AppError, forbidden, notFound, unauthorized } from '../errors.js';
import { appendEvent, lockConference } from '../db/event-log.js';
import { commitPersonalData } from '../db/commitments.js';
import { conferenceById } from '../conferences/repository.js';
import { accessOf, actorOf, requireInSlot, type AccessPolicy, type ApiKeyPrincipal } from '../conferences/access-policy.js';
import type { JitsiTokenIssuer } from '../jitsi/tokens.js';
import { accountMarkedName } from '../jitsi/display-names.js';
import { createGuestTokens, type GuestTokens } from '../conferences/guest-tokens.js';

const AUDIENCE = 'v4h-join-link';
/** The longest slot a link may span: an appointment, not a standing invitation. */
const MAX_SLOT_MS = 31 * 24 * 3600_000;
/**
 * A waiting-room link's guest token outlives its slot by this much, so that a late guest is told the link expired (410)
 * by the slot check rather than that the token is invalid (401).
 */
const GUEST_TOKEN_GRACE_S = 3600;

export interface JoinLinkServiceOptions {
  db: Db;
  clock: Clock;
  access: AccessPolicy;
  jitsi: JitsiTokenIssuer;
  tokenSecret: string;
  publicUrl: string;
  /** Seconds a link lasts when no expiresAt is given (V4H_GUEST_TOKEN_TTL), from its notBefore. */
  defaultTtl: number;
}

/** Who mints a link: the conference's owner, or an API key acting for the owner's organisation. */
export type LinkMinter = { kind: 'user'; id: string } | ApiKeyPrincipal;

/** What opening a link inside its slot gives: the call's address with a video token issued now. */
export interface OpenedLink {
  url: string;
  jwt: string | null;
  expiresAt: string;
}

export class JoinLinkService {
  readonly #o: JoinLinkServiceOptions;
  readonly #key: Uint8Array;
  readonly #guestTokens: GuestTokens;

  constructor(options: JoinLinkServiceOptions) {
    this.#o = options;
    this.#guestTokens = createGuestTokens(options.tokenSecret, options.publicUrl);
    this.#key = new Uint8Array(deriveKey(options.tokenSecret, 'v4h join links v1'));
  }

  /** Mints a link for an open conference; throws 403 unless the minter manages it, 400 for a slot that makes no sense. */
  async create(who: LinkMinter, sessionId: string, body: JoinLinkBody): Promise<JoinLink> {
    const now = this.#o.clock.now();
    const notBefore = body.notBefore === undefined ? now : Date.parse(body.notBefore);
    const expiresAt = body.expiresAt === undefined ? notBefore + this.#o.defaultTtl * 1000 : Date.parse(body.expiresAt);
    if (!(expiresAt > notBefore)) throw new AppError('validation_failed', 'expiresAt must be after notBefore');
    if (expiresAt <= now) throw new AppError('validation_failed', 'expiresAt is in the past');
    if (expiresAt - notBefore > MAX_SLOT_MS) throw new AppError('validation_failed', 'a join link spans at most 31 days');
    const found = await conferenceById.first(this.#o.db.kysely, { sessionId });
    if (!found) throw notFound('conference');
    await this.#o.access.require(who, accessOf(found), { do: 'manage' });
    const guestId = `guest-${randomBytes(9)
      .toString('base64url')
      .toLowerCase()
      .replace(/[^a-z0-9]/g, 'x')}`;
    const waiting = await this.#o.db.write(async (trx) => {
      const row = await lockConference(trx, sessionId, this.#o.db.dialect);
      if (!row) throw notFound('conference');
      if (row.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
      // A host never waits; a guest follows the conference's waiting room (as guest links do) unless told otherwise;
      // a participant goes straight in unless told to wait.
      const waitingRoom = body.role !== 'host' && (body.waitingRoom ?? (body.role === 'guest' && (row.waiting_room ?? 0) >= 1));
      // The name (if any) and the caller's id of the person stay in erasable tables; the event commits to them.
      await trx
        .insertInto('guests')
        .values({ guest_id: guestId, session_id: sessionId, name: body.name ?? null, avatar_url: null, created_at: now, erased_at: null })
        .execute();
      await trx
        .insertInto('join_links')
        .values({
          guest_id: guestId,
          session_id: sessionId,
          external_id: body.externalId,
          role: body.role,
          not_before: notBefore,
          expires_at: expiresAt,
          waiting_room: waitingRoom ? 1 : 0,
          api_key_id: who.kind === 'apikey' ? who.id : null,
          created_at: now,
        })
        .execute();
      const personal: Record<string, string> = { externalId: body.externalId, ...(body.name === undefined ? {} : { name: body.name }) };
      const commitments = await commitPersonalData(trx, `guest:${guestId}`, personal);
      await trx.updateTable('conferences').set({ last_activity_at: now }).where('session_id', '=', sessionId).execute();
      await appendEvent(trx, {
        sessionId,
        type: 'join_link_issued',
        actor: actorOf(who),
        at: now,
        data: { guestId, role: body.role, notBefore: iso(notBefore)!, expiresAt: iso(expiresAt)!, waitingRoom, commitments },
      });
      // The guest's place in the waiting room (waiting/), as a guest link of a conference with one gets it.
      if (waitingRoom) {
        const participantId = `w-${randomBytes(9).toString('base64url')}`;
        await trx.insertInto('waiting_room').values({ guest_id: guestId, session_id: sessionId, participant_id: participantId, state: 'new' }).execute();
      }
      return waitingRoom;
    });
    if (waiting) {
      // The guest page (/visit/, the token in the fragment); the waiting room asks the access policy, which holds the slot.
      const ttl = Math.ceil((expiresAt - now) / 1000) + GUEST_TOKEN_GRACE_S;
      const token = await this.#guestTokens.sign({ sessionId, guestId }, ttl, now);
      return { guestId, jwt: token, url: `${this.#o.publicUrl}/visit/#${token}`, notBefore: iso(notBefore)!, expiresAt: iso(expiresAt)! };
    }
    const jwt = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(this.#o.publicUrl)
      .setAudience(AUDIENCE)
      .setSubject(guestId)
      .setIssuedAt(Math.floor(now / 1000))
      .setNotBefore(Math.floor(notBefore / 1000))
      .setExpirationTime(Math.ceil(expiresAt / 1000))
      .sign(this.#key);
    // In the query, not the path: logs redact queries (logging.ts), and this token is a credential.
    const url = `${this.#o.publicUrl}/join?token=${encodeURIComponent(jwt)}`;
    return { guestId, jwt, url, notBefore: iso(notBefore)!, expiresAt: iso(expiresAt)! };
  }

  /**
   * Opens a link: inside its slot, the call's address with a video token issued now (ending with the slot); before
   * it, 425 `too_early` naming when it opens (and Retry-After); after it, 410 `expired`; once revoked, 403.
   */
  async open(token: string): Promise<OpenedLink> {
    const claims = await this.#verify(token);
    const link = await this.#o.db.kysely
      .selectFrom('join_links')
      .innerJoin('conferences', 'conferences.session_id', 'join_links.session_id')
      .innerJoin('guests', 'guests.guest_id', 'join_links.guest_id')
      .select(['join_links.role', 'join_links.not_before', 'join_links.expires_at', 'conferences.room_name', 'conferences.state', 'guests.name'])
      .where('join_links.guest_id', '=', claims.guestId)
      .where('join_links.session_id', '=', claims.sessionId)
      .executeTakeFirst();
    if (!link) throw unauthorized('invalid join link');
    const removed = await this.#o.db.kysely
      .selectFrom('conference_removals')
      .select('subject')
      .where('session_id', '=', claims.sessionId)
      .where('subject', '=', `guest:${claims.guestId}`)
      .executeTakeFirst();
    if (removed) throw forbidden('this join link was revoked');
    const now = this.#o.clock.now();
    const expiresAt = Number(link.expires_at);
    requireInSlot({ notBefore: Number(link.not_before), expiresAt }, now);
    if (link.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
    const jitsi = this.#o.jitsi;
    const name = link.name ?? (link.role === 'host' ? 'Host' : 'Guest');
    const shown = jitsi.mode === 'builtin' ? name : accountMarkedName(name, { guest: true });
    // The video token ends with the slot: whoever holds it cannot join after expiresAt either.
    const ttl = Math.max(1, Math.floor((expiresAt - now) / 1000));
    const jwt = await jitsi.issue(link.room_name, { id: claims.guestId, name: shown, avatar: null, moderator: link.role === 'host' }, ttl, now);
    return { url: jitsi.roomUrl(link.room_name, jwt, shown), jwt, expiresAt: iso(expiresAt)! };
  }

  /** The link token's signature, issuer and audience; its times are the database's to judge (clear errors). */
  async #verify(token: string): Promise<{ sessionId: string; guestId: string }> {
    try {
      const { payload, protectedHeader } = await compactVerify(token, this.#key, { algorithms: ['HS256'] });
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
      if (protectedHeader.typ !== 'JWT' || claims.iss !== this.#o.publicUrl || claims.aud !== AUDIENCE) throw new Error('claims');
      if (typeof claims.sid !== 'string' || typeof claims.sub !== 'string') throw new Error('claims');
      return { sessionId: claims.sid, guestId: claims.sub };
    } catch {
      throw unauthorized('invalid join link');
    }
  }
}
