// The server→SDK event channel (GET /api/conferences/:sessionId/events, docs/api.md "Conference events"): the event
// names (the `event:` field, the type of the logged event) and the JSON of each event.
import { Type, type Static } from 'typebox';

/** Every type of event a conference's log holds (docs/manifest.md §1); the channel names its events by them. */
export const CONFERENCE_EVENT_TYPES = [
  'requested',
  'started',
  'token_issued',
  'guest_link_issued',
  'join_link_issued',
  'joined',
  'left',
  'removed',
  'ended',
  'file_stored',
  'file_deleted',
  'erased',
  'jitsi_room_created',
  'jitsi_room_destroyed',
  'jitsi_participant_joined',
  'jitsi_participant_left',
  'jitsi_recording_uploaded',
  'jitsi_recording_failed',
  'consent_requested',
  'consent_given',
  'consent_declined',
  'recording_started',
  'recording_stopped',
  'knocked',
  'admitted',
  'denied',
  'allowed_again',
  'left_waiting_room',
] as const;
export type ConferenceEventType = (typeof CONFERENCE_EVENT_TYPES)[number];

/** A conference event as the channel sends it: ids, kinds and reasons of the logged event, never names. */
export const PublicEvent = Type.Object({
  sessionId: Type.String(),
  seq: Type.Integer({ description: "the event's sequence number in the conference's log: the stream's event id" }),
  type: Type.Unsafe<ConferenceEventType>({ type: 'string', enum: CONFERENCE_EVENT_TYPES }),
  at: Type.String({ format: 'date-time' }),
  hash: Type.String({ description: "the chained event's hash, to check against the sealed manifest later" }),
  data: Type.Record(Type.String(), Type.Unknown()),
});
export type PublicEvent = Static<typeof PublicEvent>;
