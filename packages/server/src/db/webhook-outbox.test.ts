// The webhook outbox's relay: every outbox row becomes exactly one delivery, in the order rows were appended, even
// when two processes relay at once; rows of an endpoint deleted meanwhile are dropped. SQLite and PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from './database.js';
import { relayWebhookOutbox } from './webhook-outbox.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../test-support/test-app.js';

describe('relayWebhookOutbox', () => {
  let database: MigratedTestDatabase;
  let db: Db;
  /** Another process's connection. */
  let other: Db;

  const endpoint = (id: string) => ({
    id,
    organisation_id: 'default',
    url: `https://ehr.example.org/${id}`,
    events: '["conference.requested"]',
    description: null,
    secret_key_id: 'k',
    secret: 'wrapped',
    previous_key_id: null,
    previous_secret: null,
    previous_expires_at: null,
    created_at: 1,
    created_by: 'test',
    disabled_at: null,
    disabled_reason: null,
    failing_since: null,
    consecutive_failures: 0,
  });
  const outboxRow = (webhookId: string, n: number) => ({
    webhook_id: webhookId,
    organisation_id: 'default',
    session_id: `s${n % 7}`,
    event_type: 'conference.requested',
    event_seq: n,
    data: null,
    event_id: `evt_${n}`,
    created_at: 1000 + n,
  });

  beforeAll(async () => {
    database = await createMigratedTestDatabase('webhook-outbox');
    db = database.db;
    other = await database.connect();
    await db.kysely
      .insertInto('webhooks')
      .values([endpoint('wh_kept'), endpoint('wh_gone')])
      .execute();
  });
  afterAll(() => database?.destroy());

  it('moves each row once, oldest first, with two relays racing; a deleted endpoint’s rows are dropped', async () => {
    const total = 5000; // more than one relay batch (2,000)
    for (let from = 0; from < total; from += 500) {
      const rows = Array.from({ length: 500 }, (_, i) => outboxRow((from + i) % 10 === 9 ? 'wh_gone' : 'wh_kept', from + i));
      await db.kysely.insertInto('webhook_outbox').values(rows).execute();
    }
    await db.kysely.deleteFrom('webhooks').where('id', '=', 'wh_gone').execute();
    expect(await relayWebhookOutbox(db)).toBeGreaterThan(0); // one batch alone

    // Then two "processes" relay what is left at the same time, each until it finds nothing.
    const drain = async (conn: Db) => {
      let moved = 0;
      for (let i = 0; i < 50; i++) moved += await relayWebhookOutbox(conn);
      return moved;
    };
    await Promise.all([drain(db), drain(other)]);
    expect(await relayWebhookOutbox(db)).toBe(0);

    expect(await db.kysely.selectFrom('webhook_outbox').select('id').execute()).toEqual([]);
    const deliveries = await db.kysely
      .selectFrom('webhook_deliveries')
      .select(['id', 'webhook_id', 'event_seq', 'status', 'next_attempt_at', 'created_at'])
      .orderBy('id')
      .execute();
    const kept = Array.from({ length: total }, (_, n) => n).filter((n) => n % 10 !== 9);
    // Exactly once each, in the outbox's order, due at once.
    expect(deliveries.map((d) => d.event_seq)).toEqual(kept);
    expect(new Set(deliveries.map((d) => d.webhook_id))).toEqual(new Set(['wh_kept']));
    expect(deliveries.every((d) => d.status === 'pending' && Number(d.next_attempt_at) === Number(d.created_at))).toBe(true);
  });
});
