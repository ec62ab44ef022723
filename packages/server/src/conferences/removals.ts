// Removing people from a conference: the moderator's kick in the built-in room and the owner's revocation of a guest
// link. A removed account or guest link stays out of that conference: its tokens are refused, a user's join is 403.
import type { Transaction } from 'kysely';
import type { Db } from '../db/database.js';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { iso } from '../lib/clock.js';
import { AppError, notFound } from '../errors.js';
import { appendEvent, lockConference } from '../db/event-log.js';
import { userPrincipal, type AccessPolicy } from './access-policy.js';

/** `user:<userId>` or `guest:<guestId>`: whom a removal concerns (the event-log actor of that person). */
export type Subject = `user:${string}` | `guest:${string}`;

type Listener = (p: { sessionId: string; roomName: string; subject: Subject }) => void;

export class RemovalService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #access: AccessPolicy;
  readonly #listeners = new Set<Listener>();

  constructor(deps: { db: Db; clock: Clock; access: AccessPolicy }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#access = deps.access;
  }

  /** Called after each new removal (the built-in room then closes the subject's seats at once). */
  onRemoved(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Whether the owner removed this subject from the conference. */
  async isRemoved(sessionId: string, subject: string): Promise<boolean> {
    const row = await this.#db.kysely
      .selectFrom('conference_removals')
      .select('subject')
      .where('session_id', '=', sessionId)
      .where('subject', '=', subject)
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * The moderator removed a participant in the built-in room (`actor`: the moderator). Records `removed`
   * `{ subject, participantId }`; the room then records the participant's `left` as for any leave.
   */
  async removeParticipant(p: { sessionId: string; subject: Subject; participantId: string; actor: string }): Promise<void> {
    await this.#remove(p.sessionId, p.subject, p.actor, { participantId: p.participantId }, () => {});
  }

  /**
   * The owner revokes a guest link (`POST /api/conferences/:sessionId/guests/:guestId/revoke`): idempotent; the
   * guest, if in the built-in room, is removed from it at once, and the link no longer admits anyone there.
   */
  async revokeGuest(caller: { id: string }, sessionId: string, guestId: string): Promise<{ guestId: string; revokedAt: string }> {
    const removedAt = await this.#remove(sessionId, `guest:${guestId}`, `user:${caller.id}`, {}, async (trx, row) => {
      this.#access.check(userPrincipal(caller), { ownerId: row.owner_id }, { do: 'manage' });
      const guest = await trx.selectFrom('guests').select('guest_id').where('guest_id', '=', guestId).where('session_id', '=', sessionId).executeTakeFirst();
      if (!guest) throw notFound('guest link');
    });
    return { guestId, revokedAt: iso(removedAt)! };
  }

  /** Records the removal once (a repeat changes nothing and returns the first time); a removed user's admission goes. */
  async #remove(
    sessionId: string,
    subject: Subject,
    actor: string,
    data: { participantId?: string },
    check: (trx: Transaction<Database>, row: { owner_id: string }) => unknown,
  ): Promise<number> {
    const now = this.#clock.now();
    const result = await this.#db.write(async (trx) => {
      const row = await lockConference(trx, sessionId, this.#db.dialect);
      if (!row) throw notFound('conference');
      await check(trx, row);
      // The owner always has a seat: nobody removes them (not even themselves).
      if (subject === `user:${row.owner_id}`) throw new AppError('validation_failed', 'the owner cannot be removed from their conference');
      const earlier = await trx
        .selectFrom('conference_removals')
        .select('removed_at')
        .where('session_id', '=', sessionId)
        .where('subject', '=', subject)
        .executeTakeFirst();
      if (earlier) return { removedAt: Number(earlier.removed_at), roomName: row.room_name, fresh: false };
      await trx.insertInto('conference_removals').values({ session_id: sessionId, subject, removed_at: now }).execute();
      if (subject.startsWith('user:')) {
        // Uploads and shared files follow the admission: it goes with the person.
        await trx
          .deleteFrom('conference_members')
          .where('session_id', '=', sessionId)
          .where('user_id', '=', subject.slice(5))
          .where('role', '=', 'admitted')
          .execute();
      }
      await trx.updateTable('conferences').set({ last_activity_at: now }).where('session_id', '=', sessionId).execute();
      await appendEvent(trx, { sessionId, type: 'removed', actor, at: now, data: { subject, ...data } });
      return { removedAt: now, roomName: row.room_name, fresh: true };
    });
    if (result.fresh) {
      for (const listener of this.#listeners) {
        try {
          listener({ sessionId, roomName: result.roomName, subject });
        } catch {
          // A listener's failure must not hide the removal.
        }
      }
    }
    return result.removedAt;
  }
}
