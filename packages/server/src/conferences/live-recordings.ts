// Stopping a conference's live recording inside the caller's transaction (which holds the conference row): the owner's
// stop and a participant's decline (recordings/), and the conference's end (service.ts, just before `ended`), all end
// in a `recording_stopped` event. Here rather than in recordings/ because ending a conference needs it.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { appendEvent } from '../db/event-log.js';

/**
 * Why a recording stopped: the owner, the owner's SDK because Jitsi said it cannot record (no Jibri, JaaS without
 * recording), a participant's decline, or the conference's end.
 */
export type StopReason = 'owner' | 'recorder_unavailable' | 'consent_declined' | 'conference_ended';

/** Marks the live recording (if any) stopped and appends `recording_stopped { recordingId, reason[, participantId] }`; its id or null. */
export async function stopLiveRecordings(
  trx: Transaction<Database>,
  sessionId: string,
  now: number,
  how: { actor: string; reason: StopReason; participantId?: string },
): Promise<string | null> {
  const live = await trx.selectFrom('recordings').select('recording_id').where('session_id', '=', sessionId).where('live', '=', 'recording').execute();
  for (const { recording_id: recordingId } of live) {
    await trx
      .updateTable('recordings')
      .set({ live: 'stopped', stop_reason: how.reason, stopped_at: now, updated_at: now })
      .where('recording_id', '=', recordingId)
      .execute();
    await appendEvent(trx, {
      sessionId,
      type: 'recording_stopped',
      actor: how.actor,
      at: now,
      data: how.participantId ? { recordingId, reason: how.reason, participantId: how.participantId } : { recordingId, reason: how.reason },
    });
  }
  return live[0]?.recording_id ?? null;
}
