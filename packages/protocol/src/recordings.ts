// The bodies of consent and recording routes (docs/api.md, "Consent and recording"): consent requests and answers,
// the recording's state, and the chunked, resumable recording upload.
import { Type, type Static } from 'typebox';
import { nullable } from './common.js';

/** What a participant is asked to agree to. */
export const ConsentPurpose = Type.Literal('recording', { description: 'what the consent is for' });
export type ConsentPurpose = Static<typeof ConsentPurpose>;

// A BCP 47 language tag (`pt-BR`, `en`); the default texts exist in pt-BR and en, others fall back to en.
const Locale = (description: string) => Type.String({ minLength: 2, maxLength: 35, pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$', description });
// Shown to people and hashed into the record: well-formed Unicode without C0 controls other than newline.
const ConsentText = (description: string) =>
  Type.String({ minLength: 1, maxLength: 4000, pattern: '^[^\\u0000-\\u0009\\u000b-\\u001f\\p{Cs}]*$', description });

/** POST /api/conferences/:sessionId/consent-requests (owner). */
export const ConsentRequestBody = Type.Object(
  {
    purpose: ConsentPurpose,
    text: Type.Optional(ConsentText("the exact text participants are shown (default: the server's text in each participant's language)")),
    locale: Type.Optional(Locale('the language of `text` (default pt-BR)')),
  },
  { additionalProperties: false },
);
export type ConsentRequestBody = Static<typeof ConsentRequestBody>;

/** A consent request as a participant is shown it: the exact text and its SHA-256 (what the record keeps). */
export const ConsentRequest = Type.Object({
  requestId: Type.String(),
  sessionId: Type.String(),
  purpose: ConsentPurpose,
  text: Type.String({ description: 'the exact text to show' }),
  textSha256: Type.String({ description: 'lowercase hex SHA-256 of the UTF-8 bytes of `text`' }),
  locale: Type.String({ description: 'the language of `text`' }),
  created: Type.String({ format: 'date-time' }),
});
export type ConsentRequest = Static<typeof ConsentRequest>;

/** POST …/consent-requests/:requestId/answer. */
export const ConsentAnswerBody = Type.Object(
  {
    accepted: Type.Boolean(),
    locale: Type.Optional(Locale('the language of the text the participant was shown (default: the request’s)')),
  },
  { additionalProperties: false },
);
export type ConsentAnswerBody = Static<typeof ConsentAnswerBody>;

/** One answer, as the log holds it (`consent_given` / `consent_declined`). */
export const ConsentAnswer = Type.Object({
  seq: Type.Integer({ description: "the event's sequence number in the conference's log" }),
  requestId: Type.String(),
  participantId: Type.String({ description: 'who answered: `user:<userId>` or `guest:<guestId>` (ids, as the log names people)' }),
  purpose: ConsentPurpose,
  accepted: Type.Boolean(),
  textSha256: Type.String(),
  locale: Type.String(),
  at: Type.String({ format: 'date-time' }),
  hash: Type.String({ description: "the chained event's hash" }),
});
export type ConsentAnswer = Static<typeof ConsentAnswer>;

export const ConsentList = Type.Object({ items: Type.Array(ConsentAnswer) });
export type ConsentList = Static<typeof ConsentList>;

/** Someone in the call, and where their consent to recording stands (their latest answer). */
export const RecordingParticipant = Type.Object({
  participantId: Type.String({ description: "the call's participant id (as in `joined` events and the built-in room)" }),
  subject: Type.String({ description: 'the person: `user:<userId>` or `guest:<guestId>` (the `participantId` of consent events)' }),
  owner: Type.Boolean({ description: 'the owner starts the recording: no consent asked' }),
  consent: Type.Union([Type.Literal('given'), Type.Literal('declined'), Type.Literal('none')]),
});
export type RecordingParticipant = Static<typeof RecordingParticipant>;

/** GET /api/conferences/:sessionId/recording: whether the call is being recorded, and who has consented. */
export const RecordingStatus = Type.Object({
  state: Type.Union([Type.Literal('recording'), Type.Literal('idle')]),
  recordingId: nullable(Type.String({ description: 'the live recording, while `state` is recording' })),
  startedAt: nullable(Type.String({ format: 'date-time' })),
  consent: Type.Union([Type.Literal('required'), Type.Literal('off')], { description: 'V4H_RECORDING_CONSENT' }),
  requestId: nullable(Type.String({ description: 'the latest consent request for recording: a late joiner answers this one' })),
  participants: Type.Array(RecordingParticipant, { description: 'who is in the call now' }),
  missing: Type.Array(Type.String(), { description: 'subjects in the call (owner aside) whose latest answer is not `given`' }),
});
export type RecordingStatus = Static<typeof RecordingStatus>;

const MimeType = () =>
  Type.String({
    minLength: 1,
    maxLength: 200,
    pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+( *;[ -~]*)?$',
    description: "the recording's media type, e.g. `video/webm;codecs=vp8,opus`",
  });

/** POST …/recordings: a chunked upload without a live recording. */
export const RecordingUploadBody = Type.Object({ mimeType: MimeType() }, { additionalProperties: false });
export type RecordingUploadBody = Static<typeof RecordingUploadBody>;

/** POST …/recording/start (no body, or `{}`: video/webm). */
export const RecordingStartBody = Type.Object({ mimeType: Type.Optional(MimeType()) }, { additionalProperties: false });
export type RecordingStartBody = Static<typeof RecordingStartBody>;

/**
 * POST …/recording/stop (no body, or `{}`: the owner stopped it). `recorder_unavailable`: the owner's SDK stops what it
 * started when Jitsi answers that it cannot record, so the log does not say "recording" for a call nobody records.
 */
export const RecordingStopBody = Type.Object(
  { reason: Type.Optional(Type.Union([Type.Literal('owner'), Type.Literal('recorder_unavailable')])) },
  { additionalProperties: false },
);
export type RecordingStopBody = Static<typeof RecordingStopBody>;

/** A recording and its chunked upload: enough to resume after a reload (`nextIndex`, `bytes`). */
export const Recording = Type.Object({
  recordingId: Type.String(),
  sessionId: Type.String(),
  mimeType: Type.String(),
  live: Type.Union([Type.Literal('recording'), Type.Literal('stopped'), Type.Null()], {
    description: 'started with recording/start: recording until stopped; null for an upload made with POST …/recordings',
  }),
  stopReason: nullable(Type.String({ description: 'owner, recorder_unavailable, consent_declined, conference_ended' })),
  state: Type.Union([Type.Literal('open'), Type.Literal('completing'), Type.Literal('complete'), Type.Literal('abandoned')], {
    description: 'of the upload: open (takes chunks), completing, complete (stored as `fileId`), abandoned (cleaned up)',
  }),
  nextIndex: Type.Integer({ description: 'the index the next chunk must have (chunks stored: 0 … nextIndex-1)' }),
  bytes: Type.Integer({ description: 'bytes stored so far' }),
  maxChunkBytes: Type.Integer(),
  maxBytes: Type.Integer({ description: 'the whole recording at most (V4H_MAX_UPLOAD_BYTES)' }),
  fileId: nullable(Type.String({ description: 'the stored file, once complete' })),
});
export type Recording = Static<typeof Recording>;

/** PUT …/recordings/:recordingId/chunks/:index. */
export const RecordingChunk = Type.Object({
  index: Type.Integer(),
  size: Type.Integer(),
  sha256: Type.String({ description: "lowercase hex SHA-256 of the chunk's bytes" }),
  nextIndex: Type.Integer(),
  bytes: Type.Integer(),
});
export type RecordingChunk = Static<typeof RecordingChunk>;
