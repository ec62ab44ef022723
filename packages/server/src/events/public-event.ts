// What the event channel (and later webhooks) may say about a logged event: ids, kinds and reasons, never names.
import type { ConferenceEventsTable } from '../db/schema.js';
import type { ConferenceEventType, PublicEvent } from '@v4h/protocol';

/** A conference event as the server→SDK channel sends it (docs/api.md, "Conference events"): the wire's type. */
export type { PublicEvent };

// The log's data members that identify nobody. Everything else (a guest's name, a file's name, the uploader, the
// actor) stays out: the stream reaches every participant, and webhooks reach other systems.
const SHAREABLE = new Set([
  'participantId',
  'guestId',
  'reason',
  'role',
  'fileId',
  'kind',
  'size',
  'contentType',
  'sha256',
  'expiresAt',
  'source',
  'jitsiParticipantId',
  'jitsiSessionId',
  // Consent and recording (issue 21): ids, the purpose, and the hash and language of the text shown.
  'requestId',
  'purpose',
  'textSha256',
  'textSha256s',
  'locale',
  'recordingId',
]);

/** The shareable projection of a stored event row. */
export function publicEvent(row: ConferenceEventsTable): PublicEvent {
  const data: Record<string, unknown> = {};
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(row.data) as Record<string, unknown>;
  } catch {
    // Stored by appendEvent as canonical JSON: unreadable data is shared as none.
  }
  for (const [key, value] of Object.entries(parsed ?? {})) if (SHAREABLE.has(key)) data[key] = value;
  return {
    sessionId: row.session_id,
    seq: Number(row.seq),
    type: row.type as ConferenceEventType,
    at: new Date(Number(row.at)).toISOString(),
    hash: row.hash,
    data,
  };
}
