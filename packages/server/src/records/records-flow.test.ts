// The whole flow over HTTP with the background workers on: request → start → end → sealed → anchored → verified.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { getJson } from '../test-support/records-fixtures.js';
import { fromBase64, verifyBundle } from '@v4h/protocol/verify';
import { GANACHE_ADDRESS, GANACHE_KEY, startDevChain, type DevChain } from '../test-support/ganache.js';

let t: TestApp | undefined;
let chain: DevChain | undefined;
afterEach(async () => {
  await t?.close();
  await chain?.destroy();
  t = chain = undefined;
});

async function post(url: string, auth: object, body: object = {}) {
  const res = await fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

/** Requests, starts, shares and ends a conference over the API; waits until it is anchored; returns its bundle. */
async function conferenceToAnchored(app: TestApp) {
  const user = await app.userSession();
  const { body: requested } = await post(`${app.baseUrl}/api/conferences`, user.auth);
  const sessionId = requested.sessionId as string;
  expect((await post(`${app.baseUrl}/api/conferences/${sessionId}/start`, user.auth, { displayName: 'Dr Ana' })).status).toBe(200);
  expect((await post(`${app.baseUrl}/api/conferences/${sessionId}/guest-url`, user.auth, { name: 'Patient' })).status).toBe(200);
  expect((await post(`${app.baseUrl}/api/conferences/${sessionId}/end`, user.auth)).status).toBe(200);
  let details;
  for (let i = 0; i < 150; i++) {
    details = (await getJson(`${app.baseUrl}/api/conferences/${sessionId}`, user.auth)).body;
    if (details.DLTId) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(details).toMatchObject({ state: 'ended', hashType: 'SHA-256', DLTId: expect.any(String), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const { body: bundle } = await getJson(`${app.baseUrl}/api/conferences/${sessionId}/manifest`, user.auth);
  expect(bundle.hash).toBe(details.hash);
  expect(bundle.manifests[0].manifest.events.map((e: { type: string }) => e.type)).toEqual(
    expect.arrayContaining(['requested', 'started', 'token_issued', 'guest_link_issued', 'ended']),
  );
  return { details, bundle };
}

describe('records with the workers running', () => {
  it('local ledger: a conference requested, started and ended over the API is sealed, anchored and verifies', async () => {
    t = await createTestApp({ workers: true, env: { V4H_SEAL_DELAY: '0', V4H_ANCHOR_INTERVAL: '1' } });
    const { details, bundle } = await conferenceToAnchored(t);
    expect(details.DLTType).toBe('v4h-local');
    const key = fromBase64((await getJson(`${t.baseUrl}/.well-known/v4h-ledger.json`)).body.publicKey);
    expect((await verifyBundle(bundle, { ledgerKey: key })).failure).toBeNull();
  });

  it('EVM ledger (ganache): the same flow ends in a transaction that verifies against the node', async () => {
    chain = await startDevChain();
    t = await createTestApp({
      workers: true,
      env: { V4H_SEAL_DELAY: '0', V4H_ANCHOR_INTERVAL: '1', V4H_LEDGER_URL: chain.url, V4H_LEDGER_PRIVATE_KEY: GANACHE_KEY },
    });
    const { details, bundle } = await conferenceToAnchored(t);
    expect(details).toMatchObject({ DLTType: 'evm:1337', DLTId: expect.stringMatching(/^0x[0-9a-f]{64}$/) });
    expect((await verifyBundle(bundle, { rpcUrl: chain.url, anchorAddress: GANACHE_ADDRESS })).failure).toBeNull();
  }, 60_000);
});
