// The SDK's records functions against a small real HTTP server serving a genuine, locally built record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { generateKeyPairSync } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { HttpClient } from './http.js';
import { V4H } from './V4H.js';
import { fetchManifest, verifyManifestBundle } from './records.js';
import type { ManifestBundle } from '@v4h/protocol/verify';
import { buildBundle, publicKey } from '../test-support/records-fixture.js';

let server: http.Server;
let baseUrl: string;
let served: ManifestBundle;
const seen: string[] = [];

beforeAll(async () => {
  served = buildBundle();
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? '-'}`);
    const send = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.url === '/.well-known/v4h-ledger.json') return send(200, { type: 'v4h-local', publicKey });
    if (req.url === '/api/conferences/sdk-test/manifest')
      return req.headers.authorization === 'Bearer tok' ? send(200, served) : send(401, { error: 'unauthorized', message: 'no' });
    send(404, { error: 'not_found', message: 'conference not found' });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const client = () => new HttpClient(baseUrl, fetch, { accessToken: async () => 'tok', canRefresh: () => false, refresh: async () => 'tok' });

describe('records in the SDK', () => {
  it('fetches the bundle with the access token and verifies it with the published key', async () => {
    const http = client();
    const bundle = await fetchManifest(http, 'sdk-test');
    expect(bundle).toEqual(served);
    const report = await verifyManifestBundle(http, fetch, bundle);
    expect(report).toMatchObject({ ok: true, failure: null });
    expect(seen).toContain('GET /.well-known/v4h-ledger.json -');
  });

  it('a caller-supplied key is used instead of the server’s, and a wrong one fails the signature check', async () => {
    const http = client();
    const bundle = await fetchManifest(http, 'sdk-test');
    const other = (generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }) as { x: string }).x;
    expect((await verifyManifestBundle(http, fetch, bundle, { ledgerKey: other })).failure).toMatchObject({ name: 'ledger-signature' });
    expect((await verifyManifestBundle(http, fetch, bundle, { ledgerKey: Buffer.from(publicKey, 'base64url').toString('hex') })).ok).toBe(true);
    const tampered = structuredClone(bundle);
    tampered.manifests[0].manifest.events[1].actor = 'user:eve';
    expect((await verifyManifestBundle(http, fetch, tampered, { ledgerKey: publicKey })).failure).toMatchObject({ name: 'event-hash' });
  });

  it('errors of the server keep their codes', async () => {
    await expect(fetchManifest(client(), 'unknown')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('V4H.getManifest and V4H.verifyConference', async () => {
    const tokenStore = { get: () => ({ accessToken: 'tok', refreshToken: null, expiresAt: Date.now() + 60_000 }), set() {} };
    const v4h = new V4H({ baseUrl, tokenStore, autoRefresh: false });
    expect(await v4h.getManifest('sdk-test')).toEqual(served);
    const checks: string[] = [];
    const report = await v4h.verifyConference('sdk-test', { onCheck: (c) => checks.push(c.name) });
    expect(report).toMatchObject({ ok: true, failure: null });
    expect(checks).toEqual([
      'bundle-format',
      'manifest-format',
      'event-hash',
      'event-chain',
      'manifest-link',
      'manifest-hash',
      'conference-hash',
      'merkle-proof',
      'ledger-entry',
      'ledger-signature',
    ]);
    await expect(v4h.verifyConference('')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
