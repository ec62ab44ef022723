// Test fixtures for records: conferences written straight to the database through the real event log.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { appendEvent, type EventType } from '../db/event-log.js';
import { newRoomName, newSessionId } from '../lib/ids.js';
import type { TestApp } from './test-app.js';

/** A user who owns conferences, and their Authorization header. */
export async function owner(t: TestApp): Promise<{ id: string; auth: { authorization: string } }> {
  const session = await t.userSession();
  const row = await t.db.kysely.selectFrom('users').select('id').where('username', '=', session.username).executeTakeFirstOrThrow();
  return { id: row.id, auth: session.auth };
}

/** A conference requested, started, joined, left and ended at `at` (ms), with `extra` more joined/left pairs. */
export async function endedConference(db: Kysely<Database>, ownerId: string, at: number, extra = 0): Promise<string> {
  const sessionId = newSessionId();
  await db
    .insertInto('conferences')
    .values({
      session_id: sessionId,
      owner_id: ownerId,
      room_name: newRoomName(),
      state: 'ended',
      created_at: at - 60_000,
      started_at: at - 50_000,
      ended_at: at,
      end_reason: 'owner',
      last_activity_at: at,
      hash: null,
      hash_type: null,
      dlt_id: null,
      dlt_type: null,
      join_policy: 'ORG',
      join_password_hash: null,
    })
    .execute();
  const log = (type: EventType, actor: string, ms: number, data = {}) => appendEvent(db, { sessionId, type, actor, at: ms, data });
  await log('requested', 'user:owner', at - 60_000);
  await log('started', 'user:owner', at - 50_000, { roomName: 'room' });
  await log('token_issued', 'user:owner', at - 50_000, { moderator: true });
  for (let i = 0; i <= extra; i++) {
    await log('joined', 'user:owner', at - 40_000 + i, { participantId: `p${i}`, displayName: `Dr Émile ${i} 👩‍⚕️` });
    await log('left', 'user:owner', at - 10_000 + i, { participantId: `p${i}` });
  }
  await log('ended', 'system', at, { reason: 'owner' });
  return sessionId;
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}
