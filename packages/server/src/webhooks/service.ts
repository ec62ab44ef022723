// Webhook endpoints of an organisation: register (the secret shown once), list, change, delete, rotate the secret,
// and their deliveries (list, redeliver one). Who may: the organisation's admins (the access policy's
// requireOrganisationAdmin) and its API keys holding webhooks:read / webhooks:write.
import type { Kysely, Transaction } from 'kysely';
import {
  WEBHOOK_EVENT_TYPES,
  type ApiKeyScope,
  type Webhook,
  type WebhookCreate,
  type WebhookDelivery,
  type WebhookEventType,
  type WebhookUpdate,
} from '@v4h/protocol';
import type { Db } from '../db/database.js';
import type { Database, WebhookDeliveriesTable, WebhooksTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { iso } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { AppError, forbidden, notFound } from '../errors.js';
import type { MasterKeyring } from '../storage/encryption.js';
import type { AccessPolicy, Principal } from '../conferences/access-policy.js';
import type { WebhookAddressPolicy } from './address-policy.js';
import { newWebhookSecret, wrapSecret } from './signing.js';
import { nudgeWebhookWorkers } from '../db/webhook-outbox.js';

/** How long the old secret also signs after a rotation, unless the caller says otherwise. */
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 86_400;
/** Endpoints per organisation. */
const MAX_WEBHOOKS = 20;

type Executor = Kysely<Database> | Transaction<Database>;

export class WebhookService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #keyring: MasterKeyring;
  readonly #access: AccessPolicy;
  readonly #addresses: WebhookAddressPolicy;

  constructor(deps: { db: Db; clock: Clock; keyring: MasterKeyring; access: AccessPolicy; addresses: WebhookAddressPolicy }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#keyring = deps.keyring;
    this.#access = deps.access;
    this.#addresses = deps.addresses;
  }

  async create(who: Principal, input: WebhookCreate): Promise<{ webhook: Webhook; secret: string }> {
    const organisationId = await this.#managed(who, input.organisationId, 'webhooks:write');
    const url = this.#addresses.checkUrl(input.url).toString();
    const events = checkEvents(input.events);
    const id = `wh_${newId()}`;
    const secret = newWebhookSecret();
    const wrapped = wrapSecret(this.#keyring, id, secret.bytes);
    const row: WebhooksTable = {
      id,
      organisation_id: organisationId,
      url,
      events: JSON.stringify(events),
      description: input.description ?? null,
      secret_key_id: wrapped.keyId,
      secret: wrapped.wrapped,
      previous_key_id: null,
      previous_secret: null,
      previous_expires_at: null,
      created_at: this.#clock.now(),
      created_by: actorOf(who),
      disabled_at: null,
      disabled_reason: null,
      failing_since: null,
      consecutive_failures: 0,
    };
    await this.#db.write(async (trx) => {
      const count = await trx
        .selectFrom('webhooks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('organisation_id', '=', organisationId)
        .executeTakeFirst();
      if (Number(count?.n ?? 0) >= MAX_WEBHOOKS) throw new AppError('conflict', `an organisation has at most ${MAX_WEBHOOKS} webhooks`);
      await trx.insertInto('webhooks').values(row).execute();
      await subscribe(trx, row, events);
    });
    return { webhook: webhookOf(row), secret: secret.text };
  }

  async list(who: Principal, organisationId?: string): Promise<Webhook[]> {
    const org = await this.#managed(who, organisationId, 'webhooks:read');
    const rows = await this.#db.kysely.selectFrom('webhooks').selectAll().where('organisation_id', '=', org).orderBy('created_at').orderBy('id').execute();
    return rows.map(webhookOf);
  }

  async get(who: Principal, id: string): Promise<Webhook> {
    return webhookOf(await this.#owned(who, id, 'webhooks:read'));
  }

  async update(who: Principal, id: string, change: WebhookUpdate): Promise<Webhook> {
    const current = await this.#owned(who, id, 'webhooks:write');
    const next: WebhooksTable = { ...current };
    if (change.url !== undefined) next.url = this.#addresses.checkUrl(change.url).toString();
    if (change.events !== undefined) next.events = JSON.stringify(checkEvents(change.events));
    if (change.description !== undefined) next.description = change.description;
    if (change.enabled === false && next.disabled_at === null) {
      next.disabled_at = this.#clock.now();
      next.disabled_reason = `disabled by ${actorOf(who)}`;
    }
    if (change.enabled === true) {
      // On again: a fresh start (the pending deliveries go out, a new streak of failures is counted from zero).
      next.disabled_at = null;
      next.disabled_reason = null;
      next.failing_since = null;
      next.consecutive_failures = 0;
    }
    await this.#db.write(async (trx) => {
      await trx
        .updateTable('webhooks')
        .set({
          url: next.url,
          events: next.events,
          description: next.description,
          disabled_at: next.disabled_at,
          disabled_reason: next.disabled_reason,
          failing_since: next.failing_since,
          consecutive_failures: next.consecutive_failures,
        })
        .where('id', '=', id)
        .execute();
      await trx.deleteFrom('webhook_subscriptions').where('webhook_id', '=', id).execute();
      if (next.disabled_at === null) await subscribe(trx, next, JSON.parse(next.events) as WebhookEventType[]);
    });
    if (change.enabled === true) nudgeWebhookWorkers();
    return webhookOf(next);
  }

  /** Deletes the endpoint, its subscriptions and its deliveries (pending ones are not sent). */
  async delete(who: Principal, id: string): Promise<void> {
    await this.#owned(who, id, 'webhooks:write');
    await this.#db.write(async (trx) => {
      await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      await trx.deleteFrom('webhook_subscriptions').where('webhook_id', '=', id).execute();
      await trx.deleteFrom('webhooks').where('id', '=', id).execute();
    });
  }

  /** A new secret, shown once; the old one keeps signing too (a second v1) for `overlapSeconds`. */
  async rotateSecret(who: Principal, id: string, overlapSeconds = DEFAULT_ROTATION_OVERLAP_SECONDS): Promise<{ webhook: Webhook; secret: string }> {
    const current = await this.#owned(who, id, 'webhooks:write');
    const secret = newWebhookSecret();
    const wrapped = wrapSecret(this.#keyring, id, secret.bytes);
    const now = this.#clock.now();
    const next: WebhooksTable = {
      ...current,
      secret_key_id: wrapped.keyId,
      secret: wrapped.wrapped,
      previous_key_id: overlapSeconds > 0 ? current.secret_key_id : null,
      previous_secret: overlapSeconds > 0 ? current.secret : null,
      previous_expires_at: overlapSeconds > 0 ? now + overlapSeconds * 1000 : null,
    };
    await this.#db.kysely
      .updateTable('webhooks')
      .set({
        secret_key_id: next.secret_key_id,
        secret: next.secret,
        previous_key_id: next.previous_key_id,
        previous_secret: next.previous_secret,
        previous_expires_at: next.previous_expires_at,
      })
      .where('id', '=', id)
      .execute();
    return { webhook: webhookOf(next), secret: secret.text };
  }

  /** The endpoint's deliveries, newest first; `before` pages on (a delivery id). */
  async deliveries(who: Principal, id: string, opts: { status?: WebhookDelivery['status']; before?: string; limit?: number }): Promise<WebhookDelivery[]> {
    await this.#owned(who, id, 'webhooks:read');
    let query = this.#db.kysely.selectFrom('webhook_deliveries').selectAll().where('webhook_id', '=', id);
    if (opts.status) query = query.where('status', '=', opts.status);
    if (opts.before !== undefined) query = query.where('id', '<', deliveryNumber(opts.before));
    const rows = await query
      .orderBy('id', 'desc')
      .limit(opts.limit ?? 50)
      .execute();
    return rows.map(deliveryOf);
  }

  /** Sends a delivery's event again, as a new delivery (at the end of its conference's queue to this endpoint). */
  async redeliver(who: Principal, id: string, deliveryId: string): Promise<WebhookDelivery> {
    const webhook = await this.#owned(who, id, 'webhooks:write');
    const original = await this.#db.kysely
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('webhook_id', '=', id)
      .where('id', '=', deliveryNumber(deliveryId))
      .executeTakeFirst();
    if (!original) throw notFound('delivery');
    const now = this.#clock.now();
    const inserted = await this.#db.kysely
      .insertInto('webhook_deliveries')
      .values({
        webhook_id: webhook.id,
        organisation_id: original.organisation_id,
        session_id: original.session_id,
        event_type: original.event_type,
        event_seq: original.event_seq,
        data: original.data,
        event_id: original.event_id,
        created_at: now,
        status: 'pending',
        next_attempt_at: now,
        redelivery_of: String(original.id),
        last_status: null,
        last_error: null,
        delivered_at: null,
        lease_owner: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    nudgeWebhookWorkers();
    return deliveryOf(inserted);
  }

  /**
   * The organisation whose endpoints the caller manages: the one named, or else the caller's own (an API key's: its
   * organisation, and no other). Its admins and the instance admin; a key holding `scope`.
   */
  async #managed(who: Principal, organisationId: string | undefined, scope: WebhookScope): Promise<string> {
    if (who.kind === 'apikey') {
      this.#access.requireScope(who, scope);
      if (organisationId !== undefined && organisationId !== who.organisationId) {
        throw forbidden(`API key: it acts for organisation ${who.organisationId} only`);
      }
      return who.organisationId;
    }
    const org = organisationId ?? (await this.#access.organisationOf(who));
    await this.#access.requireOrganisationAdmin(who, org, 'webhooks');
    return org;
  }

  async #owned(who: Principal, id: string, scope: WebhookScope): Promise<WebhooksTable> {
    // A key without the scope learns nothing, not even whether the endpoint exists.
    if (who.kind === 'apikey') this.#access.requireScope(who, scope);
    const row = await this.#db.kysely.selectFrom('webhooks').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('webhook');
    // Someone else's endpoint is not found either, once the policy said no (not a 403 that confirms it exists).
    const mine = who.kind === 'apikey' ? row.organisation_id === who.organisationId : await this.#access.isOrganisationAdmin(who, row.organisation_id);
    if (!mine) throw notFound('webhook');
    return row;
  }
}

async function subscribe(trx: Executor, webhook: Pick<WebhooksTable, 'id' | 'organisation_id'>, events: WebhookEventType[]): Promise<void> {
  await trx
    .insertInto('webhook_subscriptions')
    .values(events.map((event_type) => ({ organisation_id: webhook.organisation_id, event_type, webhook_id: webhook.id })))
    .execute();
}

function checkEvents(events: string[]): WebhookEventType[] {
  const unknown = events.filter((e) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(e));
  if (unknown.length > 0) throw new AppError('bad_request', `unknown webhook event types: ${unknown.join(', ')}`);
  return [...new Set(events)] as WebhookEventType[];
}

function deliveryNumber(id: string): number {
  if (!/^\d{1,15}$/.test(id)) throw notFound('delivery');
  return Number(id);
}

const actorOf = (who: Principal) => (who.kind === 'user' || who.kind === 'apikey' ? `${who.kind}:${who.id}` : who.kind);

/** What an API key needs on these routes: reading endpoints and deliveries, or changing them. */
type WebhookScope = Extract<ApiKeyScope, `webhooks:${string}`>;

export function webhookOf(row: WebhooksTable): Webhook {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    url: row.url,
    events: JSON.parse(row.events) as WebhookEventType[],
    description: row.description,
    createdAt: iso(Number(row.created_at))!,
    enabled: row.disabled_at === null,
    disabledAt: iso(row.disabled_at === null ? null : Number(row.disabled_at)),
    disabledReason: row.disabled_reason,
    failingSince: iso(row.failing_since === null ? null : Number(row.failing_since)),
    consecutiveFailures: Number(row.consecutive_failures),
    previousSecretExpiresAt: iso(row.previous_expires_at === null ? null : Number(row.previous_expires_at)),
  };
}

function deliveryOf(row: Omit<WebhookDeliveriesTable, 'id' | 'attempts' | 'lease_until'> & { id: number; attempts: number }): WebhookDelivery {
  return {
    id: String(row.id),
    eventId: row.event_id,
    type: row.event_type as WebhookEventType,
    sessionId: row.session_id,
    eventSeq: row.event_seq === null ? null : Number(row.event_seq),
    status: row.status,
    attempts: Number(row.attempts),
    createdAt: iso(Number(row.created_at))!,
    nextAttemptAt: row.status === 'pending' ? iso(Number(row.next_attempt_at)) : null,
    deliveredAt: iso(row.delivered_at === null ? null : Number(row.delivered_at)),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    redeliveryOf: row.redelivery_of,
  };
}
