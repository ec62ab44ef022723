// Who is (or was) in a call, as the people the log names (`user:<id>`, `guest:<id>`), and where each one's consent to
// recording stands: the latest of their `consent_given` / `consent_declined` events.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';

type Executor = Kysely<Database> | Transaction<Database>;

/** A participant of the call (one connection: `r-…` in the built-in room, `p-…` through the SDK) and its person. */
export interface CallSubject {
  participantId: string;
  subject: string;
}

export type ConsentState = 'given' | 'declined' | 'none';

/**
 * The call's participants (those still present, or everyone who ever joined) with the person each one is: a user's
 * row names the user; a guest's is named by the actor of its `joined` event (the participants row has no guest id).
 */
export async function callSubjects(executor: Executor, sessionId: string, options: { presentOnly: boolean }): Promise<CallSubject[]> {
  let query = executor.selectFrom('participants').select(['participant_id', 'user_id']).where('session_id', '=', sessionId);
  if (options.presentOnly) query = query.where('left_at', 'is', null);
  const rows = await query.orderBy('joined_at').execute();
  const actors = new Map<string, string>();
  if (rows.some((r) => r.user_id === null)) {
    const joined = await executor
      .selectFrom('conference_events')
      .select(['actor', 'data'])
      .where('session_id', '=', sessionId)
      .where('type', '=', 'joined')
      .execute();
    for (const event of joined) {
      const participantId = (JSON.parse(event.data) as { participantId?: unknown }).participantId;
      if (typeof participantId === 'string') actors.set(participantId, event.actor);
    }
  }
  // A participant nobody can name (no user, no join event) can never consent: it keeps the recording from starting.
  return rows.map((r) => ({
    participantId: r.participant_id,
    subject: r.user_id !== null ? `user:${r.user_id}` : (actors.get(r.participant_id) ?? `participant:${r.participant_id}`),
  }));
}

/** Each person's latest answer to a request for `purpose` (the log's order decides: a later answer replaces an earlier one). */
export async function consentStates(executor: Executor, sessionId: string, purpose = 'recording'): Promise<Map<string, Exclude<ConsentState, 'none'>>> {
  const events = await executor
    .selectFrom('conference_events')
    .select(['type', 'data'])
    .where('session_id', '=', sessionId)
    .where('type', 'in', ['consent_given', 'consent_declined'])
    .orderBy('seq')
    .execute();
  const states = new Map<string, Exclude<ConsentState, 'none'>>();
  for (const event of events) {
    const data = JSON.parse(event.data) as { participantId?: string; purpose?: string };
    if (data.purpose !== purpose || !data.participantId) continue;
    states.set(data.participantId, event.type === 'consent_given' ? 'given' : 'declined');
  }
  return states;
}

/** The people among `subjects` (the owner aside) whose latest answer is not `given`, each once, in order. */
export function withoutConsent(subjects: CallSubject[], states: Map<string, string>, ownerId: string): string[] {
  const missing = new Set<string>();
  for (const { subject } of subjects) if (subject !== `user:${ownerId}` && states.get(subject) !== 'given') missing.add(subject);
  return [...missing];
}
