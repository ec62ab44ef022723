// Webhooks (docs/webhooks.md): the event types an endpoint subscribes to, which logged conference events produce them,
// the body every delivery carries, and the bodies of /api/webhooks.
import { Type, type Static } from 'typebox';
import { nullable } from './common.js';
import type { ConferenceEventType } from './events.js';

/** Every event type a webhook endpoint may subscribe to. */
export const WEBHOOK_EVENT_TYPES = [
  'conference.requested',
  'conference.started',
  'conference.ended',
  'participant.joined',
  'participant.left',
  'waiting.knocked',
  'waiting.admitted',
  'waiting.denied',
  'waiting.allowed_again',
  'consent.given',
  'consent.declined',
  'recording.started',
  'recording.stopped',
  'recording.stored',
  'file.stored',
  'file.deleted',
  'manifest.sealed',
  'manifest.anchored',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * The webhook event a logged conference event produces: by its type, or by `<type>:<data.kind>` first (a stored
 * recording is `recording.stored`, any other file `file.stored`). A logged type missing here is not sent to webhooks;
 * adding one is one line. `manifest.sealed|anchored` come from the records, not from the log.
 */
export const WEBHOOK_EVENT_OF_LOGGED: Partial<Record<ConferenceEventType | `${ConferenceEventType}:${string}`, WebhookEventType>> = {
  requested: 'conference.requested',
  started: 'conference.started',
  ended: 'conference.ended',
  joined: 'participant.joined',
  left: 'participant.left',
  jitsi_participant_joined: 'participant.joined',
  jitsi_participant_left: 'participant.left',
  'file_stored:recording': 'recording.stored',
  file_stored: 'file.stored',
  file_deleted: 'file.deleted',
  knocked: 'waiting.knocked',
  admitted: 'waiting.admitted',
  denied: 'waiting.denied',
  allowed_again: 'waiting.allowed_again',
  consent_given: 'consent.given',
  consent_declined: 'consent.declined',
  recording_started: 'recording.started',
  recording_stopped: 'recording.stopped',
};

/** The webhook event type of a logged event (its type and its data's `kind`), or undefined when none is sent. */
export function webhookEventOfLogged(type: string, kind?: unknown): WebhookEventType | undefined {
  const table = WEBHOOK_EVENT_OF_LOGGED as Record<string, WebhookEventType | undefined>;
  return (typeof kind === 'string' ? table[`${type}:${kind}`] : undefined) ?? table[type];
}

/** An integer or null (as common.ts `nullable` does for strings). */
const nullableInteger = (description?: string) => Type.Unsafe<number | null>({ type: ['integer', 'null'], ...(description ? { description } : {}) });

const EventTypeSchema = Type.Unsafe<WebhookEventType>({ type: 'string', enum: WEBHOOK_EVENT_TYPES });

/**
 * The JSON body of every delivery (signed: the `V4H-Signature` header). `id` is the event's: the same in every
 * delivery and redelivery of it, so a receiver can drop duplicates (delivery is at least once).
 */
export const WebhookEvent = Type.Object({
  id: Type.String(),
  type: EventTypeSchema,
  createdAt: Type.String({ format: 'date-time' }),
  organisationId: Type.String(),
  sessionId: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown(), { description: 'ids, kinds and reasons; never names' }),
  eventSeq: Type.Optional(Type.Integer({ description: "conference events: the logged event's sequence number" })),
  eventHash: Type.Optional(Type.String({ description: "conference events: the logged event's hash, to check against the sealed manifest" })),
});
export type WebhookEvent = Static<typeof WebhookEvent>;

const WebhookUrl = Type.String({ minLength: 8, maxLength: 2048, description: 'https (http only for localhost with V4H_WEBHOOKS_ALLOW_HTTP=true)' });
const Events = Type.Array(EventTypeSchema, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length, uniqueItems: true });
const Description = Type.String({ maxLength: 500, pattern: '^[^\\u0000-\\u001f\\u007f\\p{Cs}]*$' });

/** POST /api/webhooks. */
export const WebhookCreate = Type.Object(
  {
    url: WebhookUrl,
    events: Events,
    description: Type.Optional(Description),
    organisationId: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "the instance admin only: another organisation's" })),
  },
  { additionalProperties: false },
);
export type WebhookCreate = Static<typeof WebhookCreate>;

/** PATCH /api/webhooks/:id: what changes; `enabled: true` turns a disabled endpoint on again. */
export const WebhookUpdate = Type.Object(
  { url: Type.Optional(WebhookUrl), events: Type.Optional(Events), description: Type.Optional(Description), enabled: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
export type WebhookUpdate = Static<typeof WebhookUpdate>;

/** A webhook endpoint as listed: never its secret. */
export const Webhook = Type.Object({
  id: Type.String(),
  organisationId: Type.String(),
  url: Type.String(),
  events: Type.Array(EventTypeSchema),
  description: nullable(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  enabled: Type.Boolean(),
  disabledAt: nullable(Type.String({ format: 'date-time' })),
  disabledReason: nullable(Type.String({ description: 'why the server disabled it (failing since …: the last error)' })),
  failingSince: nullable(Type.String({ format: 'date-time', description: 'first failure with no success since' })),
  consecutiveFailures: Type.Integer(),
  previousSecretExpiresAt: nullable(Type.String({ format: 'date-time', description: 'during a rotation: until when the old secret also signs' })),
});
export type Webhook = Static<typeof Webhook>;

export const WebhookList = Type.Object({ items: Type.Array(Webhook) });
export type WebhookList = Static<typeof WebhookList>;

/** Creation and rotation answer the signing secret: the only time it is shown. */
export const WebhookSecret = Type.Object({
  id: Type.String(),
  secret: Type.String({ description: 'whsec_…: the HMAC-SHA256 key of V4H-Signature; shown once' }),
  webhook: Webhook,
});
export type WebhookSecret = Static<typeof WebhookSecret>;

/** POST /api/webhooks/:id/rotate-secret. */
export const WebhookRotate = Type.Object(
  {
    overlapSeconds: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 7 * 86_400, description: 'how long the old secret keeps signing too (default 86400: 24 h)' }),
    ),
  },
  { additionalProperties: false },
);
export type WebhookRotate = Static<typeof WebhookRotate>;

export const WebhookDeliveryStatus = Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]);
export type WebhookDeliveryStatus = Static<typeof WebhookDeliveryStatus>;

/** One delivery of one event to one endpoint. */
export const WebhookDelivery = Type.Object({
  id: Type.String(),
  eventId: Type.String(),
  type: EventTypeSchema,
  sessionId: Type.String(),
  eventSeq: nullableInteger(),
  status: WebhookDeliveryStatus,
  attempts: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  nextAttemptAt: nullable(Type.String({ format: 'date-time', description: 'pending: not before' })),
  deliveredAt: nullable(Type.String({ format: 'date-time' })),
  lastStatus: nullableInteger("the receiver's last HTTP status"),
  lastError: nullable(Type.String()),
  redeliveryOf: nullable(Type.String()),
});
export type WebhookDelivery = Static<typeof WebhookDelivery>;

export const WebhookDeliveryList = Type.Object({ items: Type.Array(WebhookDelivery) });
export type WebhookDeliveryList = Static<typeof WebhookDeliveryList>;
