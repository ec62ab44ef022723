// Storage down, ledger down: requests that need them fail cleanly (503 with a clear error, never a 500), nothing is
// lost, and everything completes once they are back. The server runs as its own process (packages/server/dist).
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { GANACHE_KEY, startDevChain } from '../../packages/server/src/test-support/ganache.js';
import { call, createUsers, deployment, login, type ServerProcess } from './support.js';
import { restartableS3 } from './s3.js';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

async function upload(server: ServerProcess, token: string, sessionId: string, name: string, body: string) {
  const res = await fetch(`${server.url}/api/conferences/${sessionId}/files?kind=attachment&name=${name}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    body,
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

describe('a back end goes down and comes back', () => {
  it('storage (S3): uploads and downloads answer 503 while it is down, nothing half-stored, all works after', async () => {
    const s3 = await restartableS3();
    cleanups.push(() => s3.destroy());
    const d = await deployment('sqlite', { V4H_STORAGE_URL: s3.storageUrl, ...s3.env });
    cleanups.push(d.destroy);
    const [user] = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 1, 'storage-');
    const server = await d.start();
    const { accessToken } = await login(server.url, user);
    const { sessionId } = (await call(server.url, 'POST', '/api/conferences', { token: accessToken, body: {} })).body;

    const before = await upload(server, accessToken, sessionId, 'before.txt', 'stored while S3 was up');
    expect(before.status, JSON.stringify(before.body)).toBe(201);

    // S3 goes away (its data stays, as in a real outage).
    await s3.stop();
    const during = await upload(server, accessToken, sessionId, 'during.txt', 'sent while S3 was down');
    expect(during.status, JSON.stringify(during.body)).toBe(503);
    expect(during.body.error).toBe('service_unavailable');
    expect(during.body.message).toMatch(/storage/i);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    const download = await fetch(`${server.url}/api/conferences/${sessionId}/files/${before.body.fileId}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect([503], await download.text()).toContain(download.status);
    // The rest of the service is unaffected; no file row was left for the failed upload.
    expect((await call(server.url, 'GET', `/api/conferences/${sessionId}`, { token: accessToken })).status).toBe(200);
    const listed = await call(server.url, 'GET', `/api/conferences/${sessionId}/files`, { token: accessToken });
    expect(listed.body.items.map((f: { name: string }) => f.name)).toEqual(['before.txt']);

    await s3.start();
    const again = await upload(server, accessToken, sessionId, 'during.txt', 'sent while S3 was down');
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    const first = await fetch(`${server.url}/api/conferences/${sessionId}/files/${before.body.fileId}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    expect(first.status).toBe(200);
    expect(sha256(Buffer.from(await first.arrayBuffer()))).toBe(sha256('stored while S3 was up'));
    const after = await call(server.url, 'GET', `/api/conferences/${sessionId}/files`, { token: accessToken });
    expect(after.body.items.map((f: { name: string }) => f.name)).toEqual(['before.txt', 'during.txt']);
    await server.stop();
  }, 120_000);

  it('ledger (EVM node): records wait as pending while it is down, the API stays up, anchoring completes after', async () => {
    const chain = await startDevChain();
    cleanups.push(() => chain.destroy());
    const d = await deployment('sqlite', {
      V4H_LEDGER_URL: chain.url,
      V4H_LEDGER_PRIVATE_KEY: GANACHE_KEY,
      V4H_SEAL_DELAY: '0',
      V4H_ANCHOR_INTERVAL: '1',
      V4H_LEDGER_CONFIRMATIONS: '1',
    });
    cleanups.push(d.destroy);
    const [user] = await createUsers(d.env.V4H_DATABASE_URL, d.dataDir, 1, 'ledger-');
    let server = await d.start();
    let { accessToken } = await login(server.url, user);
    const endedConference = async () => {
      const { sessionId } = (await call(server.url, 'POST', '/api/conferences', { token: accessToken, body: {} })).body;
      expect((await call(server.url, 'POST', `/api/conferences/${sessionId}/start`, { token: accessToken, body: {} })).status).toBe(200);
      expect((await call(server.url, 'POST', `/api/conferences/${sessionId}/end`, { token: accessToken })).status).toBe(200);
      return sessionId as string;
    };
    const anchorOf = async (sessionId: string) => {
      const res = await call(server.url, 'GET', `/api/conferences/${sessionId}/manifest`, { token: accessToken });
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
      return res.status === 200 ? res.body.manifests?.[0]?.anchor : undefined;
    };

    const early = await endedConference();
    await until('the first anchor', async () => ((await anchorOf(early))?.status === 'anchored' ? true : undefined));

    await chain.stop();
    const late = await endedConference();
    const pending = await until('the second record to be sealed', async () => anchorOf(late));
    expect(pending.status).toBe('pending');
    // Everything that does not need the node still works, and nothing answers 500.
    expect((await call(server.url, 'POST', '/api/conferences', { token: accessToken, body: {} })).status).toBe(201);
    const wellKnown = await call(server.url, 'GET', '/.well-known/v4h-ledger.json');
    expect([200, 503]).toContain(wellKnown.status);
    expect((await anchorOf(early))?.status).toBe('anchored');

    // A restart while the node is still down must not lose the pending record (and should not stop the server).
    await server.stop();
    try {
      server = await d.start();
    } catch (error) {
      throw new Error(`the server does not start while its ledger node is down: ${(error as Error).message.slice(0, 500)}`, { cause: error });
    }
    accessToken = (await login(server.url, user)).accessToken;
    expect((await anchorOf(late))?.status).toBe('pending');

    await chain.start();
    const anchored = await until('the pending record to be anchored', async () => {
      const anchor = await anchorOf(late);
      return anchor?.status === 'anchored' ? anchor : undefined;
    });
    expect(anchored.txHash ?? anchored.DLTId ?? anchored).toBeTruthy();
    const details = await call(server.url, 'GET', `/api/conferences/${late}`, { token: accessToken });
    expect(details.body.DLTId).toMatch(/^0x[0-9a-f]{64}$/);
    await server.stop();
  }, 180_000);
});
