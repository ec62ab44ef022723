// The SDK's records functions against a small real HTTP server serving a genuine, locally built record.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { HttpClient } from './http.js';
import { fetchManifest, verifyManifestBundle } from './records.js';
import { canonicalize, GENESIS_HASH, type ManifestBundle } from './verify/index.js';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const keys = generateKeyPairSync('ed25519');
const publicKey = (keys.publicKey.export({ format: 'jwk' }) as { x: string }).x;

/** A one-manifest, one-leaf record on the local ledger, built from the format in docs/manifest.md. */
function buildBundle(): ManifestBundle {
  const sessionId = 'sdk-test';
  const events = [];
  let prev = GENESIS_HASH;
  for (const [seq, type] of [[1, 'requested'], [2, 'started'], [3, 'ended']] as const) {
    const body = { v: 1, sessionId, seq, type, actor: 'user:ana', at: `2026-01-01T09:0${seq}:00.000Z`, data: {}, prev };
    prev = sha(canonicalize(body));
    events.push({ ...body, hash: prev });
  }
  const manifest = { v: 1 as const, kind: 'v4h-manifest' as const, sessionId, part: 0, prev: null, fromSeq: 1, toSeq: 3, sealedAt: '2026-01-01T09:10:00.000Z', events };
  const hash = sha(canonicalize(manifest));
  const root = sha(Buffer.concat([Buffer.from([0]), Buffer.from(hash, 'hex')]));
  const entry = { v: 1 as const, kind: 'v4h-ledger-entry' as const, seq: 1, prev: GENESIS_HASH, root, size: 1, at: '2026-01-01T09:11:00.000Z' };
  const signature = sign(null, Buffer.from(canonicalize(entry)), keys.privateKey).toString('base64url');
  return {
    kind: 'v4h-manifest-bundle', v: 1, sessionId, hash, unsealedEvents: 0,
    manifests: [{ hash, manifest, proof: { leafIndex: 0, treeSize: 1, path: [], root }, anchor: { status: 'anchored', ledger: 'v4h-local', anchoredAt: entry.at, entry, entryHash: sha(canonicalize(entry)), signature } }],
  };
}

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
    if (req.url === '/api/conferences/sdk-test/manifest') return req.headers.authorization === 'Bearer tok' ? send(200, served) : send(401, { error: 'unauthorized', message: 'no' });
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
});
