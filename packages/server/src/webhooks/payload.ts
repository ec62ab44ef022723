// The body of a delivery: built when it is sent, from the logged event it reports (its shareable data, seq and hash)
// or from the data the outbox row holds (manifests). Ids, kinds and reasons only: names never leave the server.
import type { WebhookEvent, WebhookEventType } from '@v4h/protocol';
import type { ConferenceEventsTable, WebhookDeliveriesTable } from '../db/schema.js';
import { publicEvent } from '../events/public-event.js';

export type ClaimedDelivery = Pick<
  WebhookDeliveriesTable,
  'webhook_id' | 'organisation_id' | 'session_id' | 'event_type' | 'event_seq' | 'data' | 'event_id' | 'created_at'
> & { id: number; attempts: number };

/** The JSON text sent (and signed) for a delivery; `logged` is its event's row when it reports one. */
export function deliveryBody(delivery: ClaimedDelivery, logged: ConferenceEventsTable | undefined): string {
  const event: WebhookEvent = {
    id: delivery.event_id,
    type: delivery.event_type as WebhookEventType,
    createdAt: new Date(Number(logged?.at ?? delivery.created_at)).toISOString(),
    organisationId: delivery.organisation_id,
    sessionId: delivery.session_id,
    data: {},
  };
  if (logged) {
    const shared = publicEvent(logged);
    // The actor is an id (`user:<id>`, `guest:<id>`, `system`…), the organisation's own: it tells who, naming nobody.
    event.data = { ...shared.data, actor: logged.actor };
    event.eventSeq = shared.seq;
    event.eventHash = shared.hash;
  } else if (delivery.data) {
    event.data = JSON.parse(delivery.data) as Record<string, unknown>;
  }
  return JSON.stringify(event);
}
