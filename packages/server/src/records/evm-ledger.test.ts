// Records on a real EVM dev node (ganache): anchoring, verification, a node that goes away, crashes around sending, replacement.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { runCli } from '../cli/commands.js';
import { GANACHE_ADDRESS, GANACHE_KEY, devChainRpc, minedNonce, startDevChain, type DevChain } from '../test-support/ganache.js';
import { endedConference, getJson, owner } from '../test-support/records-fixtures.js';
import { verifyBundle, type ManifestBundle } from '@v4h/protocol/verify';
import { AnchorWorker } from './anchor-worker.js';
import { EvmLedger, type EvmLedgerOptions } from './evm-ledger.js';

let chain: DevChain;
let t: TestApp;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

beforeAll(async () => {
  chain = await startDevChain();
}, 60_000);
afterAll(async () => chain?.destroy());

beforeEach(async () => {
  if (!(
    chain.url &&
    (await fetch(chain.url, { method: 'POST', body: '{}' }).then(
      () => true,
      () => false,
    ))
  ))
    await chain.start();
  t = await createTestApp({
    manualClock: true,
    env: { V4H_LEDGER_URL: chain.url, V4H_LEDGER_PRIVATE_KEY: GANACHE_KEY, V4H_SEAL_DELAY: '60', V4H_ACCESS_TOKEN_TTL: '86400' },
  });
});
afterEach(async () => t.close());

/** A worker over its own ledger instance (a "restarted server"), optionally with injected faults. */
async function worker(faults?: EvmLedgerOptions['faults']) {
  const ledger = await EvmLedger.connect({
    rpcUrl: chain.url,
    privateKey: GANACHE_KEY,
    confirmations: 1,
    replaceAfterMs: 120_000,
    receiptWaitMs: 500,
    clock: t.clock!,
    faults,
  });
  return new AnchorWorker({ db: t.db.kysely, ledger, clock: t.clock! });
}

async function sealed(count: number, ownerId: string): Promise<string[]> {
  const ids = [];
  for (let i = 0; i < count; i++) ids.push(await endedConference(t.db.kysely, ownerId, t.clock!.now(), i % 3));
  t.clock!.advance(61);
  expect(await t.app.records.sealer.runOnce()).toHaveLength(count);
  return ids;
}

const bundleOf = async (id: string, auth: object) =>
  (await getJson(`${t.baseUrl}/api/conferences/${id}/manifest`, auth as Record<string, string>)).body as ManifestBundle;

describe('records on an EVM chain', () => {
  it('anchors a batch in one transaction carrying the root; the bundle verifies against the node', async () => {
    const o = await owner(t);
    const wellKnown = (await getJson(`${t.baseUrl}/.well-known/v4h-ledger.json`)).body;
    expect(wellKnown).toMatchObject({ type: 'evm:1337', chainId: 1337, address: GANACHE_ADDRESS });
    const before = await minedNonce(chain.url, GANACHE_ADDRESS);
    const ids = await sealed(5, o.id);
    expect(await t.app.records.anchorer.runOnce()).toMatchObject({ anchored: 5 });
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before + 1);

    const details = (await getJson(`${t.baseUrl}/api/conferences/${ids[0]}`, o.auth)).body;
    expect(details).toMatchObject({ hashType: 'SHA-256', DLTType: 'evm:1337', DLTId: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    const tx = await devChainRpc(chain.url, 'eth_getTransactionByHash', [details.DLTId]);
    expect(tx).toMatchObject({ from: GANACHE_ADDRESS.toLowerCase(), to: GANACHE_ADDRESS.toLowerCase(), value: '0x0' });

    const bundle = await bundleOf(ids[0], o.auth);
    expect(bundle.manifests[0].anchor).toMatchObject({ status: 'anchored', ledger: 'evm:1337', txHash: details.DLTId, address: GANACHE_ADDRESS });
    expect(tx.input).toBe(`0x56344801${bundle.manifests[0].proof!.root}`);
    const report = await verifyBundle(bundle, { rpcUrl: chain.url, anchorAddress: GANACHE_ADDRESS });
    expect(report.failure).toBeNull();
    expect(report.checks.at(-1)).toMatchObject({ name: 'ledger-transaction', ok: true });
    // The CLI, with the anchor address taken from the well-known document.
    const file = path.join(t.dataDir, 'evm-manifest.json');
    fs.writeFileSync(file, JSON.stringify(bundle));
    let out = '';
    const io = { stdin: process.stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (out += s) } };
    expect(await runCli(['verify', file, '--rpc', chain.url, '--ledger-key', `${t.baseUrl}/.well-known/v4h-ledger.json`], io)).toBe(0);
    expect(out).toMatch(/^ok {4}ledger-transaction +manifest 0: tx 0x[0-9a-f]{64} in block \d+ of chain 1337 carries the root$/m);

    // A transaction that does not carry the root: the next batch's.
    await sealed(1, o.id);
    expect(await t.app.records.anchorer.runOnce()).toMatchObject({ anchored: 1 });
    const other = (await t.db.kysely.selectFrom('anchor_batches').select('dlt_id').orderBy('created_at', 'desc').executeTakeFirstOrThrow()).dlt_id!;
    const forged = clone(bundle);
    (forged.manifests[0].anchor as { txHash: string }).txHash = other;
    expect((await verifyBundle(forged, { rpcUrl: chain.url })).failure).toMatchObject({
      name: 'ledger-transaction',
      detail: expect.stringContaining('does not carry root'),
    });
    expect((await verifyBundle(bundle, { rpcUrl: chain.url, anchorAddress: '0xFFcf8FDEE72ac11b5c542428B35EEF5769C409f0' })).failure).toMatchObject({
      name: 'ledger-transaction',
    });
    expect(await verifyBundle(bundle, {})).toMatchObject({
      ok: false,
      failure: null,
      skipped: [{ name: 'ledger-transaction', detail: expect.stringContaining('not checked: no JSON-RPC URL') }],
    });
  });

  it('a node stopped during a batch: retried with backoff once it is back, all anchored, one transaction', async () => {
    const o = await owner(t);
    const ids = await sealed(3, o.id);
    const before = await minedNonce(chain.url, GANACHE_ADDRESS);
    // The node goes away after the transaction is recorded and before it is broadcast.
    const w = await worker({ afterRecord: () => chain.stop() });
    const first = await w.runOnce();
    expect(first).toMatchObject({ anchored: 0, waiting: true, lastError: expect.any(String) });
    const pending = await bundleOf(ids[0], o.auth);
    expect(pending.manifests[0].anchor).toMatchObject({ status: 'pending', stage: 'submitted', lastError: expect.any(String) });
    // Still down: the retry fails again and backs off further.
    t.clock!.advance(2);
    expect(await w.runOnce()).toMatchObject({ waiting: true });
    const batch = await t.db.kysely.selectFrom('anchor_batches').selectAll().executeTakeFirstOrThrow();
    expect(batch).toMatchObject({ attempts: 2, status: 'submitted' });
    expect(batch.next_attempt_at - t.clock!.now()).toBe(2000);

    await chain.start();
    t.clock!.advance(1);
    expect(await w.runOnce()).toMatchObject({ waiting: true }); // still backing off
    t.clock!.advance(2);
    expect(await w.runOnce()).toMatchObject({ anchored: 3, waiting: false });
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before + 1);
    for (const id of ids) expect((await verifyBundle(await bundleOf(id, o.auth), { rpcUrl: chain.url })).failure).toBeNull();
  }, 60_000);

  it('a crash after broadcasting and before recording the outcome: the restart finds the transaction, no second one', async () => {
    const o = await owner(t);
    const [id] = await sealed(1, o.id);
    const before = await minedNonce(chain.url, GANACHE_ADDRESS);
    const crashing = await worker({
      afterBroadcast: () => {
        throw new Error('simulated crash after send');
      },
    });
    await crashing.runOnce();
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before + 1);
    t.clock!.advance(1);
    expect(await (await worker()).runOnce()).toMatchObject({ anchored: 1 });
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before + 1);
    expect((await verifyBundle(await bundleOf(id, o.auth), { rpcUrl: chain.url })).failure).toBeNull();
  });

  it('a crash after recording and before broadcasting: the restart sends the same signed bytes', async () => {
    const o = await owner(t);
    const [id] = await sealed(1, o.id);
    const before = await minedNonce(chain.url, GANACHE_ADDRESS);
    await (
      await worker({
        afterRecord: () => {
          throw new Error('simulated crash before send');
        },
      })
    ).runOnce();
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before);
    const recorded = JSON.parse((await t.db.kysely.selectFrom('anchor_batches').select('tx_attempts').executeTakeFirstOrThrow()).tx_attempts!);
    t.clock!.advance(1);
    expect(await (await worker()).runOnce()).toMatchObject({ anchored: 1 });
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before + 1);
    expect((await getJson(`${t.baseUrl}/api/conferences/${id}`, o.auth)).body.DLTId).toBe(recorded[0].hash);
  });

  it('a transaction stuck in the pool is replaced with higher fees under the same nonce; exactly one is mined', async () => {
    const o = await owner(t);
    const [id] = await sealed(1, o.id);
    const before = await minedNonce(chain.url, GANACHE_ADDRESS);
    await devChainRpc(chain.url, 'miner_stop');
    try {
      const w = await worker();
      expect(await w.runOnce()).toMatchObject({ waiting: true });
      t.clock!.advance(1);
      t.clock!.advance(121);
      expect(await w.runOnce()).toMatchObject({ waiting: true });
      const attempts = JSON.parse((await t.db.kysely.selectFrom('anchor_batches').select('tx_attempts').executeTakeFirstOrThrow()).tx_attempts!);
      expect(attempts).toHaveLength(2);
      expect(attempts[1].nonce).toBe(attempts[0].nonce);
      expect(BigInt(attempts[1].maxFeePerGas)).toBeGreaterThan(BigInt(attempts[0].maxFeePerGas));
    } finally {
      await devChainRpc(chain.url, 'miner_start');
    }
    await new Promise((r) => setTimeout(r, 300));
    t.clock!.advance(1);
    expect(await (await worker()).runOnce()).toMatchObject({ anchored: 1 });
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before + 1);
    expect((await verifyBundle(await bundleOf(id, o.auth), { rpcUrl: chain.url })).failure).toBeNull();
  });
});
