// The delivery worker: claims due outbox rows with a lease (PostgreSQL: FOR UPDATE SKIP LOCKED, so processes never
// wait for each other), sends them, records each outcome, retries failures with exponential backoff and jitter until
// the retry window closes, and disables an endpoint that keeps failing. Several processes may run one each: a row is
// sent by one at a time, and again only when its lease ran out (a crashed worker): at least once.
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { ConferenceEventsTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { onWebhookOutboxWrite, relayWebhookOutbox } from '../db/webhook-outbox.js';
import type { MasterKeyring } from '../storage/encryption.js';
import { deliveryBody, type ClaimedDelivery } from './payload.js';
import { signatureHeader, unwrapSecret } from './signing.js';
import type { SendOutcome, WebhookSender } from './sender.js';

export interface DeliveryOptions {
  /** One attempt's deadline (connect, send, answer). */
  timeoutMs: number;
  /** The first retry's delay; each next one doubles, up to an hour (or 360 times this when that is less). */
  retryBaseMs: number;
  /** After this long since the event, a failing delivery is given up (`failed`). */
  retryWindowMs: number;
  /** An endpoint failing for this long with no success (and at least MIN_FAILURES_TO_DISABLE in a row) is disabled. */
  disableAfterMs: number;
  /** Deliveries sent at once by one process. */
  concurrency: number;
  /** Between two looks at the outbox when nothing was due (rows this process writes wake it at once). */
  pollIntervalMs: number;
}

/** Failed attempts in a row before an endpoint can be disabled, however short disableAfterMs is. */
export const MIN_FAILURES_TO_DISABLE = 10;

/** Delay before attempt `attempts + 1`: base·2^(attempts−1), capped, times a random factor in [0.75, 1.25). */
export function retryDelayMs(attempts: number, baseMs: number, random = Math.random): number {
  const cap = Math.min(3_600_000, baseMs * 360);
  const delay = Math.min(cap, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(delay * (0.75 + random() / 2));
}

type Log = { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };

interface Endpoint {
  url: URL;
  secrets: string[];
}

export class WebhookWorker {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #keyring: MasterKeyring;
  readonly #sender: WebhookSender;
  readonly #opts: DeliveryOptions;
  readonly #log: Log;
  readonly #owner = `worker:${newId()}`;
  #running: Promise<void> | undefined;
  #stopped = true;
  #wake: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(deps: { db: Db; clock: Clock; keyring: MasterKeyring; sender: WebhookSender; options: DeliveryOptions; log: Log }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#keyring = deps.keyring;
    this.#sender = deps.sender;
    this.#opts = deps.options;
    this.#log = deps.log;
  }

  /** Runs until stop(): batch after batch while rows are due, else waits for a nudge or the poll interval. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#unsubscribe = onWebhookOutboxWrite(() => this.#wake?.());
    this.#running = this.#loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#unsubscribe?.();
    this.#wake?.();
    await this.#running;
    this.#running = undefined;
  }

  async #loop(): Promise<void> {
    while (!this.#stopped) {
      let sent = 0;
      try {
        sent = await this.runOnce();
      } catch (err) {
        this.#log.error({ err }, 'webhooks: a delivery round failed');
      }
      if (sent > 0 || this.#stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#opts.pollIntervalMs);
        timer.unref();
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  /** Claims the due deliveries (up to the concurrency), sends them all, records the outcomes; returns how many. */
  async runOnce(): Promise<number> {
    // The outbox's new rows become deliveries first (all of them, batch by batch), then the due ones are claimed.
    while ((await relayWebhookOutbox(this.#db)) > 0 && !this.#stopped);
    const claimed = await this.#claim(this.#opts.concurrency);
    if (claimed.length === 0) return 0;
    const logged = await this.#loggedEvents(claimed);
    const endpoints = await this.#endpoints(claimed);
    const unixSeconds = Math.floor(this.#clock.now() / 1000);
    const outcomes = await Promise.all(
      claimed.map(async (d): Promise<SendOutcome> => {
        const endpoint = endpoints.get(d.webhook_id);
        if (!endpoint) return { ok: false, status: null, error: 'endpoint unavailable (deleted, or its secret cannot be opened)' };
        const body = deliveryBody(d, d.event_seq === null ? undefined : logged.get(`${d.session_id}\u0000${d.event_seq}`));
        return this.#sender.send(endpoint.url, body, {
          'v4h-signature': signatureHeader(endpoint.secrets, body, unixSeconds),
          'v4h-event-id': d.event_id,
          'v4h-event-type': d.event_type,
          'v4h-delivery-id': String(d.id),
        });
      }),
    );
    await this.#record(claimed, outcomes);
    return claimed.length;
  }

  /** Marks up to `limit` due deliveries as this worker's until the lease runs out, and returns them. */
  async #claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.#clock.now();
    const until = now + this.#opts.timeoutMs * 2 + 10_000;
    // A delivery is due when its time has come, no worker holds it, its endpoint is enabled, and no earlier delivery
    // of the same conference to the same endpoint is still pending (per-conference order).
    const due = sql`d.status = 'pending' and d.next_attempt_at <= ${now} and d.lease_until <= ${now} and w.disabled_at is null
      and not exists (select 1 from webhook_deliveries e where e.webhook_id = d.webhook_id and e.session_id = d.session_id
        and e.status = 'pending' and e.id < d.id)`;
    const columns = sql`webhook_deliveries.id, webhook_deliveries.webhook_id, webhook_deliveries.organisation_id, webhook_deliveries.session_id,
      webhook_deliveries.event_type, webhook_deliveries.event_seq, webhook_deliveries.data, webhook_deliveries.event_id,
      webhook_deliveries.created_at, webhook_deliveries.attempts`;
    const query =
      this.#db.dialect === 'postgres'
        ? sql<ClaimedDelivery>`with picked as (
            select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id where ${due}
            order by d.next_attempt_at, d.id limit ${limit} for update of d skip locked)
          update webhook_deliveries set lease_until = ${until}, lease_owner = ${this.#owner}
          from picked where webhook_deliveries.id = picked.id returning ${columns}`
        : sql<ClaimedDelivery>`update webhook_deliveries set lease_until = ${until}, lease_owner = ${this.#owner}
          where id in (select d.id from webhook_deliveries d join webhooks w on w.id = d.webhook_id where ${due}
            order by d.next_attempt_at, d.id limit ${limit})
          returning ${columns}`;
    const rows = (await query.execute(this.#db.kysely)).rows.map((r) => ({ ...r, id: Number(r.id) }));
    // Oldest first (RETURNING keeps no order).
    return rows.sort((a, b) => a.id - b.id);
  }

  async #loggedEvents(claimed: ClaimedDelivery[]): Promise<Map<string, ConferenceEventsTable>> {
    const keys = claimed.filter((d) => d.event_seq !== null);
    if (keys.length === 0) return new Map();
    const rows = await this.#db.kysely
      .selectFrom('conference_events')
      .selectAll()
      .where((eb) =>
        eb(
          eb.refTuple('session_id', 'seq'),
          'in',
          keys.map((d) => eb.tuple(d.session_id, Number(d.event_seq))),
        ),
      )
      .execute();
    return new Map(rows.map((r) => [`${r.session_id}\u0000${r.seq}`, r]));
  }

  async #endpoints(claimed: ClaimedDelivery[]): Promise<Map<string, Endpoint>> {
    const ids = [...new Set(claimed.map((d) => d.webhook_id))];
    const rows = await this.#db.kysely.selectFrom('webhooks').selectAll().where('id', 'in', ids).execute();
    const now = this.#clock.now();
    const endpoints = new Map<string, Endpoint>();
    for (const w of rows) {
      try {
        const secrets = [unwrapSecret(this.#keyring, w.id, { keyId: w.secret_key_id, wrapped: w.secret })];
        if (w.previous_secret && w.previous_key_id && Number(w.previous_expires_at) > now) {
          secrets.push(unwrapSecret(this.#keyring, w.id, { keyId: w.previous_key_id, wrapped: w.previous_secret }));
        }
        endpoints.set(w.id, { url: new URL(w.url), secrets });
      } catch (err) {
        this.#log.error({ err, webhookId: w.id }, 'webhooks: the signing secret cannot be opened (V4H_MASTER_KEY)');
      }
    }
    return endpoints;
  }

  /** Stores every outcome in one transaction, then each endpoint's failure streak (and disables one past the threshold). */
  async #record(claimed: ClaimedDelivery[], outcomes: SendOutcome[]): Promise<void> {
    const now = this.#clock.now();
    const streaks = new Map<string, { failures: number; succeeded: boolean; lastError: string }>();
    await this.#db.write(async (trx) => {
      for (let i = 0; i < claimed.length; i++) {
        const d = claimed[i];
        const outcome = outcomes[i];
        const attempts = d.attempts + 1;
        const streak = streaks.get(d.webhook_id) ?? { failures: 0, succeeded: false, lastError: '' };
        streaks.set(d.webhook_id, streak);
        const mine = (q: ReturnType<typeof trx.updateTable<'webhook_deliveries'>>) => q.where('id', '=', d.id).where('lease_owner', '=', this.#owner);
        if (outcome.ok) {
          streak.succeeded = true;
          await mine(
            trx.updateTable('webhook_deliveries').set({
              status: 'delivered',
              attempts,
              delivered_at: now,
              last_status: outcome.status,
              last_error: null,
              lease_until: 0,
              lease_owner: null,
            }),
          ).execute();
          continue;
        }
        streak.failures++;
        streak.lastError = outcome.error;
        const next = now + retryDelayMs(attempts, this.#opts.retryBaseMs);
        const givenUp = next > Number(d.created_at) + this.#opts.retryWindowMs;
        await mine(
          trx.updateTable('webhook_deliveries').set({
            status: givenUp ? 'failed' : 'pending',
            attempts,
            next_attempt_at: givenUp ? now : next,
            last_status: outcome.status,
            last_error: outcome.error.slice(0, 500),
            lease_until: 0,
            lease_owner: null,
          }),
        ).execute();
      }
    });
    for (const [webhookId, streak] of streaks) await this.#updateStreak(webhookId, streak, now);
  }

  async #updateStreak(webhookId: string, streak: { failures: number; succeeded: boolean; lastError: string }, now: number): Promise<void> {
    const db = this.#db.kysely;
    if (streak.succeeded) {
      // A success ends the streak (a no-op write when there was none).
      await db
        .updateTable('webhooks')
        .set({ consecutive_failures: 0, failing_since: null })
        .where('id', '=', webhookId)
        .where((eb) => eb.or([eb('consecutive_failures', '>', 0), eb('failing_since', 'is not', null)]))
        .execute();
      if (streak.failures === 0) return;
    }
    await db
      .updateTable('webhooks')
      .set((eb) => ({ consecutive_failures: eb('consecutive_failures', '+', streak.failures), failing_since: eb.fn.coalesce('failing_since', eb.val(now)) }))
      .where('id', '=', webhookId)
      .execute();
    const disabled = await this.#db.write(async (trx) => {
      const w = await trx
        .selectFrom('webhooks')
        .select(['organisation_id', 'failing_since', 'consecutive_failures', 'disabled_at'])
        .where('id', '=', webhookId)
        .executeTakeFirst();
      const since = Number(w?.failing_since ?? now);
      if (!w || w.disabled_at !== null || w.consecutive_failures < MIN_FAILURES_TO_DISABLE || since > now - this.#opts.disableAfterMs) return undefined;
      const reason = `failing since ${new Date(since).toISOString()} (${w.consecutive_failures} attempts in a row); last error: ${streak.lastError}`;
      await trx
        .updateTable('webhooks')
        .set({ disabled_at: now, disabled_reason: reason.slice(0, 500) })
        .where('id', '=', webhookId)
        .execute();
      // No new deliveries for it; the pending ones wait until an admin enables it again.
      await trx.deleteFrom('webhook_subscriptions').where('webhook_id', '=', webhookId).execute();
      return { organisationId: w.organisation_id, since: new Date(since).toISOString() };
    });
    if (disabled) this.#log.warn({ webhookId, ...disabled }, 'webhooks: endpoint disabled after failing continuously');
  }
}
