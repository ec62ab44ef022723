// The webhook outbox: a logged event (or a sealed or anchored manifest) becomes one row per enabled endpoint of the
// conference's organisation subscribed to its type, inserted by the statement after the event's, in the same
// transaction: committed together, or not at all. One INSERT … SELECT; with no subscriber it inserts nothing.
// The rows go to webhook_outbox (no index, no foreign key: the request's write stays cheap); the worker relays them in
// batches into webhook_deliveries, where they are claimed, retried and listed (relayWebhookOutbox below).
import { sql, type Kysely, type Transaction } from 'kysely';
import { webhookEventOfLogged, type WebhookEventType } from '@v4h/protocol';
import type { ConferenceEventsTable, Database } from './schema.js';
import { prepareQuery } from './prepared.js';
import type { Db } from './database.js';

/** A delivery's event id: the same for every endpoint and redelivery of the event (receivers drop duplicates by it). */
export const webhookEventId = (hash: string) => `evt_${hash.slice(0, 32)}`;

interface OutboxParams {
  sessionId: string;
  type: string;
  seq: number | null;
  data: string | null;
  eventId: string;
  at: number;
}

// Parameters in a SELECT list have no type of their own on PostgreSQL: each is cast to its column's.
const enqueue = prepareQuery((db, p: OutboxParams) =>
  db
    .insertInto('webhook_outbox')
    .columns(['webhook_id', 'organisation_id', 'session_id', 'event_type', 'event_seq', 'data', 'event_id', 'created_at'])
    .expression(
      db
        .selectFrom('webhook_subscriptions as s')
        .select([
          's.webhook_id',
          's.organisation_id',
          sql<string>`cast(${p.sessionId} as text)`.as('session_id'),
          's.event_type',
          sql<number>`cast(${p.seq} as integer)`.as('event_seq'),
          sql<string>`cast(${p.data} as text)`.as('data'),
          sql<string>`cast(${p.eventId} as text)`.as('event_id'),
          sql<number>`cast(${p.at} as bigint)`.as('created_at'),
        ])
        // The conference's organisation (its owner's when it was requested).
        .where('s.organisation_id', '=', sql<string>`(select organisation_id from conferences where session_id = ${p.sessionId})`)
        .where('s.event_type', '=', p.type),
    ),
);

const listeners = new Set<() => void>();

/** Calls `listener` after this process enqueued deliveries (a worker here sends them at once instead of at its next poll). */
export function onWebhookOutboxWrite(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

// Soon, not now: the transaction that wrote the rows commits first (a worker that looks too early finds them at its
// next poll anyway).
let nudging = false;
export function nudgeWebhookWorkers(): void {
  if (nudging || listeners.size === 0) return;
  nudging = true;
  setTimeout(() => {
    nudging = false;
    for (const listener of listeners) listener();
  }, 2).unref();
}

async function enqueueEvent(trx: Kysely<Database> | Transaction<Database>, params: OutboxParams): Promise<void> {
  const result = await enqueue.run(trx, params);
  if (result.numAffectedRows !== undefined && result.numAffectedRows > 0n) nudgeWebhookWorkers();
}

/** The type a logged event is sent to webhooks as, or undefined (most are never sent: no statement runs for them). */
export function webhookTypeOfRow(row: Pick<ConferenceEventsTable, 'type' | 'data'>): WebhookEventType | undefined {
  // `kind` tells a stored recording from another file; only those events' data is read.
  const kind = row.type.startsWith('file_') ? (JSON.parse(row.data) as { kind?: unknown }).kind : undefined;
  return webhookEventOfLogged(row.type, kind);
}

/** Enqueues the deliveries of a logged event (its row as appended), inside the append's transaction. */
export async function enqueueLoggedEvent(trx: Kysely<Database> | Transaction<Database>, row: ConferenceEventsTable): Promise<void> {
  const type = webhookTypeOfRow(row);
  if (!type) return;
  await enqueueEvent(trx, { sessionId: row.session_id, type, seq: row.seq, data: null, eventId: webhookEventId(row.hash), at: row.at });
}

/** Enqueues an event that is not in the log (manifest.sealed|anchored), with its data, inside the caller's transaction. */
export async function enqueueRecordEvent(
  trx: Kysely<Database> | Transaction<Database>,
  event: { sessionId: string; type: 'manifest.sealed' | 'manifest.anchored'; at: number; eventId: string; data: Record<string, unknown> },
): Promise<void> {
  await enqueueEvent(trx, { sessionId: event.sessionId, type: event.type, seq: null, data: JSON.stringify(event.data), eventId: event.eventId, at: event.at });
}

const sealedSubscribed = prepareQuery((db, p: { type: string }) =>
  db.selectFrom('webhook_subscriptions').select('webhook_id').where('event_type', '=', p.type).limit(sql.lit(1)),
);

/** Enqueues `manifest.sealed` for each new manifest, inside the transaction that stores them (records/sealer.ts). */
export async function enqueueSealedManifests(
  trx: Kysely<Database> | Transaction<Database>,
  sealed: { session_id: string; hash: string; part: number; from_seq: number; to_seq: number; sealed_at: number }[],
): Promise<void> {
  // Most installs have no such subscriber: one lookup, not one insert per manifest.
  if (sealed.length === 0 || !(await sealedSubscribed.first(trx, { type: 'manifest.sealed' }))) return;
  for (const m of sealed) {
    await enqueueRecordEvent(trx, {
      sessionId: m.session_id,
      type: 'manifest.sealed',
      at: m.sealed_at,
      eventId: `evt_sealed_${m.hash.slice(0, 24)}`,
      data: { manifestHash: m.hash, part: m.part, fromSeq: m.from_seq, toSeq: m.to_seq },
    });
  }
}

/**
 * Enqueues `manifest.anchored` for every manifest of an anchored batch, inside the transaction that records the anchor
 * (records/outbox.ts): one statement over the batch's members. Hashes are hex and `batch` is JSON text, so the data
 * is assembled in SQL.
 */
export async function enqueueAnchoredBatch(
  trx: Kysely<Database> | Transaction<Database>,
  batch: { id: string; at: number; dltId: string; ledger: string },
): Promise<void> {
  const rest = JSON.stringify({ dltId: batch.dltId, ledger: batch.ledger, batchId: batch.id, anchoredAt: new Date(batch.at).toISOString() }).slice(1);
  const result = await sql`insert into webhook_outbox
      (webhook_id, organisation_id, session_id, event_type, event_seq, data, event_id, created_at)
    select s.webhook_id, s.organisation_id, m.session_id, s.event_type, null,
      '{"manifestHash":"' || m.hash || '",' || ${rest}, 'evt_anchored_' || substr(m.hash, 1, 24),
      cast(${batch.at} as bigint)
    from manifests m
    join conferences c on c.session_id = m.session_id
    join webhook_subscriptions s on s.organisation_id = c.organisation_id and s.event_type = 'manifest.anchored'
    where m.batch_id = ${batch.id}`.execute(trx);
  if (Number(result.numAffectedRows ?? 0) > 0) nudgeWebhookWorkers();
}

/** Rows moved per relay transaction: bounds how long one relay holds the write lock (SQLite). */
const RELAY_BATCH = 2000;
/** PostgreSQL: one relay at a time across processes, so that deliveries keep the order of the outbox. */
const RELAY_LOCK = 0x76346877_6f7574n; // "v4hw" "out"

const outboxHead = prepareQuery((db, _p: Record<string, never>) => db.selectFrom('webhook_outbox').select('id').limit(sql.lit(1)));

const RELAYED_COLUMNS = sql`(webhook_id, organisation_id, session_id, event_type, event_seq, data, event_id, created_at, next_attempt_at)`;

/**
 * Moves outbox rows, oldest first, into webhook_deliveries (due at once), in one transaction: each row becomes exactly
 * one delivery, even when processes relay at the same time or one dies midway. Rows of an endpoint deleted meanwhile
 * are dropped (as its deliveries are). Returns how many rows were moved (at most RELAY_BATCH; call again while > 0).
 */
export async function relayWebhookOutbox(db: Db): Promise<number> {
  if (db.dialect === 'postgres') {
    return db.kysely.transaction().execute(async (trx) => {
      const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as locked`.execute(trx);
      if (!rows[0]?.locked) return 0; // another process is relaying: its rows come next time
      const moved = await sql<{ n: string }>`with moved as (
          delete from webhook_outbox where id in (select id from webhook_outbox order by id limit ${RELAY_BATCH}) returning *),
        relayed as (insert into webhook_deliveries ${RELAYED_COLUMNS}
          select m.webhook_id, m.organisation_id, m.session_id, m.event_type, m.event_seq, m.data, m.event_id, m.created_at, m.created_at
          from moved m join webhooks w on w.id = m.webhook_id order by m.id)
        select count(*) as n from moved`.execute(trx);
      return Number(moved.rows[0]?.n ?? 0);
    });
  }
  // SQLite: the cheap check first, outside the write lock (most polls find nothing).
  if (!(await outboxHead.first(db.kysely, {}))) return 0;
  return db.write(async (trx) => {
    const last = (await sql<{ last: number | null }>`select max(id) as last from (select id from webhook_outbox order by id limit ${RELAY_BATCH})`.execute(trx))
      .rows[0]?.last;
    if (last === null || last === undefined) return 0;
    await sql`insert into webhook_deliveries ${RELAYED_COLUMNS}
      select o.webhook_id, o.organisation_id, o.session_id, o.event_type, o.event_seq, o.data, o.event_id, o.created_at, o.created_at
      from webhook_outbox o join webhooks w on w.id = o.webhook_id where o.id <= ${last} order by o.id`.execute(trx);
    const removed = await sql`delete from webhook_outbox where id <= ${last}`.execute(trx);
    return Number(removed.numAffectedRows ?? 0);
  });
}
