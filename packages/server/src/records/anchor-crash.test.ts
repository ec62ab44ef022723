// A real kill -9 of a process running the anchor step, between recording/sending a transaction and recording the outcome.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { GANACHE_ADDRESS, GANACHE_KEY, minedNonce, startDevChain, type DevChain } from '../test-support/ganache.js';
import { endedConference, getJson, owner } from '../test-support/records-fixtures.js';
import { verifyBundle } from '@v4h/protocol/verify';

const here = path.dirname(fileURLToPath(import.meta.url));
// Inside the repository so that the child resolves kysely, viem and better-sqlite3 from node_modules.
const workDir = path.resolve(here, '../../../../node_modules/.cache/v4h-records');
let childScript: string;
let chain: DevChain;
let t: TestApp;

beforeAll(async () => {
  fs.mkdirSync(workDir, { recursive: true });
  const entry = path.join(workDir, `anchor-child-${process.pid}.ts`);
  fs.writeFileSync(
    entry,
    `
    import { openDatabase } from ${JSON.stringify(path.join(here, '../db/database.ts'))};
    import { EvmLedger } from ${JSON.stringify(path.join(here, 'evm-ledger.ts'))};
    import { AnchorWorker } from ${JSON.stringify(path.join(here, 'anchor-worker.ts'))};
    const [dbUrl, rpcUrl, key, stage] = process.argv.slice(2);
    const db = await openDatabase(dbUrl);
    const clock = { now: () => Date.now() };
    const die = () => { process.kill(process.pid, 'SIGKILL'); return new Promise(() => {}); };
    const faults = stage === 'after-broadcast' ? { afterBroadcast: die } : { afterRecord: die };
    const ledger = await EvmLedger.connect({ rpcUrl, privateKey: key, confirmations: 1, replaceAfterMs: 600000, clock, faults });
    await new AnchorWorker({ db: db.kysely, ledger, clock, leaseMs: 1000 }).runOnce();
    process.exit(3);
  `,
  );
  childScript = path.join(workDir, `anchor-child-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    outfile: childScript,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    target: 'node20',
    logLevel: 'silent',
  });
  chain = await startDevChain();
}, 60_000);
afterAll(async () => {
  await chain?.destroy();
  for (const f of [childScript, childScript?.replace(/\.mjs$/, '.ts')]) if (f) fs.rmSync(f, { force: true });
});

beforeEach(async () => {
  t = await createTestApp({ env: { V4H_LEDGER_URL: chain.url, V4H_LEDGER_PRIVATE_KEY: GANACHE_KEY, V4H_SEAL_DELAY: '0' } });
});
afterEach(async () => t.close());

function runChild(stage: 'after-record' | 'after-broadcast'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, [childScript, t.config.databaseUrl, chain.url, GANACHE_KEY, stage], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

describe.each(['after-record', 'after-broadcast'] as const)('kill -9 of the anchoring process %s', (stage) => {
  it('leaves a recorded transaction that the restarted worker completes: all anchored, exactly one transaction', async () => {
    const o = await owner(t);
    const ids = [await endedConference(t.db.kysely, o.id, Date.now()), await endedConference(t.db.kysely, o.id, Date.now())];
    await new Promise((r) => setTimeout(r, 5));
    expect(await t.app.records.sealer.runOnce()).toHaveLength(2);
    const before = await minedNonce(chain.url, GANACHE_ADDRESS);

    expect(await runChild(stage)).toEqual({ code: null, signal: 'SIGKILL' });
    const batch = await t.db.kysely.selectFrom('anchor_batches').selectAll().executeTakeFirstOrThrow();
    expect(batch.status).toBe('submitted');
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(stage === 'after-record' ? before : before + 1);

    // The dead process's lease lapses after 1 s; then this process's worker takes over.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await t.app.records.anchorer.runOnce()).toMatchObject({ anchored: 2 });
    expect(await minedNonce(chain.url, GANACHE_ADDRESS)).toBe(before + 1);
    for (const id of ids) {
      const { body } = await getJson(`${t.baseUrl}/api/conferences/${id}/manifest`, o.auth);
      expect((await verifyBundle(body, { rpcUrl: chain.url })).failure).toBeNull();
    }
  }, 60_000);
});
