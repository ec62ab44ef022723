// The embedded ledger: linked and signed entries, idempotent publication across a crash, retries with backoff.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash, createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { endedConference, owner } from '../test-support/records-fixtures.js';
import { AnchorWorker } from './anchor-worker.js';
import { LocalLedger } from './local-ledger.js';
import { loadLedgerSigningKey, signingKeyFromPem } from './signing-key.js';
import { Outbox } from './outbox.js';
import type { Ledger } from './ledger.js';

let t: TestApp;
beforeEach(async () => {
  t = await createTestApp({ manualClock: true, env: { V4H_SEAL_DELAY: '0' } });
});
afterEach(async () => t.close());

async function sealOne(ownerId: string) {
  await endedConference(t.db.kysely, ownerId, t.clock!.now());
  t.clock!.advance(1);
  return t.app.records.sealer.runOnce();
}

describe('local ledger', () => {
  it('entries link the previous entry and carry a valid Ed25519 signature; the key file is 0600', async () => {
    const o = await owner(t);
    for (let i = 0; i < 3; i++) {
      await sealOne(o.id);
      await t.app.records.anchorer.runOnce();
    }
    const entries = await t.db.kysely.selectFrom('ledger_entries').selectAll().orderBy('seq').execute();
    expect(entries.map((e) => e.seq)).toEqual([1, 2, 3]);
    const jwk = t.app.records.ledger.describe().publicKeyJwk!;
    const key = createPublicKey({ key: { ...jwk }, format: 'jwk' });
    let prev = '0'.repeat(64);
    for (const e of entries) {
      expect(JSON.parse(e.body).prev).toBe(prev);
      expect(createHash('sha256').update(e.body).digest('hex')).toBe(e.hash);
      expect(verify(null, Buffer.from(e.body), key, Buffer.from(e.signature, 'base64url'))).toBe(true);
      prev = e.hash;
    }
    const { statSync } = await import('node:fs');
    expect(statSync(`${t.dataDir}/ledger-ed25519.pem`).mode & 0o777).toBe(0o600);
    expect(loadLedgerSigningKey(t.dataDir).publicKey).toBe(jwk.x); // same key after a "restart"
  });

  it('a crash after the entry is written and before the batch is marked: the restart reuses the entry', async () => {
    const o = await owner(t);
    await sealOne(o.id);
    const ledger = new LocalLedger({ db: t.db.kysely, key: loadLedgerSigningKey(t.dataDir), clock: t.clock! });
    const outbox = new Outbox(t.db.kysely);
    const batch = (await outbox.createBatch(100, t.clock!.now(), ledger.type))!;
    await ledger.advance(batch); // …and the process dies here
    expect(await new AnchorWorker({ db: t.db.kysely, ledger, clock: t.clock! }).runOnce()).toMatchObject({ anchored: 1 });
    expect(await t.db.kysely.selectFrom('ledger_entries').select('seq').execute()).toEqual([{ seq: 1 }]);
  });

  it('a server with another ledger key does not extend the chain: its batch waits, and goes through with the shared key', async () => {
    const o = await owner(t);
    await sealOne(o.id);
    expect(await t.app.records.anchorer.runOnce()).toMatchObject({ anchored: 1 });
    await sealOne(o.id);
    // A second server on the same database, started with a data dir of its own: a key of its own.
    const stranger = signingKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    const misconfigured = new AnchorWorker({ db: t.db.kysely, ledger: new LocalLedger({ db: t.db.kysely, key: stranger, clock: t.clock! }), clock: t.clock! });
    const refused = await misconfigured.runOnce();
    expect(refused).toMatchObject({ anchored: 0, waiting: true });
    expect(refused.lastError).toMatch(/signed by another ledger key.*ledger-ed25519\.pem/);
    expect(await t.db.kysely.selectFrom('ledger_entries').select('seq').execute()).toEqual([{ seq: 1 }]);
    // With the shared key the same batch is anchored once its retry is due; every entry verifies with the published key.
    const batch = await t.db.kysely.selectFrom('anchor_batches').selectAll().where('dlt_id', 'is', null).executeTakeFirstOrThrow();
    t.clock!.ms = batch.next_attempt_at;
    expect(await t.app.records.anchorer.runOnce()).toMatchObject({ anchored: 1 });
    const key = loadLedgerSigningKey(t.dataDir);
    const entries = await t.db.kysely.selectFrom('ledger_entries').selectAll().orderBy('seq').execute();
    expect(entries.map((e) => [e.seq, key.verify(e.body, e.signature), stranger.verify(e.body, e.signature)])).toEqual([
      [1, true, false],
      [2, true, false],
    ]);
  });

  it('a failing ledger is retried with growing backoff and nothing sealed is lost', async () => {
    const o = await owner(t);
    await sealOne(o.id);
    const real = t.app.records.ledger;
    let failures = 3;
    const flaky: Ledger = {
      type: real.type,
      describe: () => real.describe(),
      advance: async (batch, store) => {
        if (failures-- > 0) throw Object.assign(new Error('ledger unavailable'), { code: 'ECONNREFUSED' });
        return real.advance(batch, store);
      },
    };
    const w = new AnchorWorker({ db: t.db.kysely, ledger: flaky, clock: t.clock! });
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      expect(await w.runOnce()).toMatchObject({ anchored: 0, waiting: true, lastError: 'ledger unavailable' });
      const b = await t.db.kysely.selectFrom('anchor_batches').selectAll().executeTakeFirstOrThrow();
      delays.push(b.next_attempt_at - t.clock!.now());
      await sealOne(o.id); // more manifests keep arriving meanwhile (they wait for the next batch)
      t.clock!.ms = b.next_attempt_at - 1;
      expect(await w.runOnce()).toMatchObject({ anchored: 0, waiting: true }); // not before its time
      t.clock!.ms += 1;
    }
    expect(delays).toEqual([1000, 2000, 4000]);
    expect(await w.runOnce()).toMatchObject({ anchored: 4 });
    const unanchored = await t.db.kysely.selectFrom('conferences').select('session_id').where('dlt_id', 'is', null).execute();
    expect(unanchored).toEqual([]);
  });
});
