// GET /metrics after a scripted flow: counters move by exactly what happened; the exposition parses strictly.
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { parsePrometheusText, valueOf, type Family } from '../test-support/prometheus-text.js';

const TOKEN = 'metrics-token-0123456789abcdef';
let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function scrape(url: string, token: string | undefined = TOKEN): Promise<{ text: string; families: Map<string, Family> }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return { text, families: parsePrometheusText(text) };
}

async function post(url: string, auth: object, body: object = {}) {
  return fetch(url, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Each counter's change between two scrapes. */
function delta(before: Map<string, Family>, after: Map<string, Family>) {
  return (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
}

describe('GET /metrics behind a bearer token', () => {
  it('counts a login, a failed login, a conference, an upload, a seal and an anchor exactly once each', async () => {
    t = await createTestApp({ env: { V4H_METRICS: 'on', V4H_METRICS_TOKEN: TOKEN, V4H_SEAL_DELAY: '0' } });
    const url = `${t.baseUrl}/metrics`;
    const user = await t.createUser();
    const before = (await scrape(url)).families;

    const { accessToken } = await t.login(user.username, user.password);
    const auth = { authorization: `Bearer ${accessToken}` };
    expect((await post(`${t.baseUrl}/api/auth/login`, {}, { username: user.username, password: 'wrong-password' })).status).toBe(401);
    const requested = await post(`${t.baseUrl}/api/conferences`, auth);
    expect(requested.status).toBe(201);
    const { sessionId } = (await requested.json()) as { sessionId: string };
    const afterRequest = (await scrape(url)).families;
    expect(valueOf(afterRequest, 'v4h_conferences', { state: 'requested' })).toBe(valueOf(before, 'v4h_conferences', { state: 'requested' }) + 1);

    expect((await post(`${t.baseUrl}/api/conferences/${sessionId}/start`, auth, { displayName: 'Dr Ana' })).status).toBe(200);
    const afterStart = (await scrape(url)).families;
    expect(valueOf(afterStart, 'v4h_conferences', { state: 'started' })).toBe(1);
    expect(valueOf(afterStart, 'v4h_conferences', { state: 'requested' })).toBe(0);

    const file = 'visit notes, 31 bytes long.....';
    const uploaded = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files?kind=attachment&name=notes.txt`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: file,
    });
    expect(uploaded.status).toBe(201);
    const refused = await fetch(`${t.baseUrl}/api/conferences/${sessionId}/files?kind=attachment`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-msdownload' },
      body: 'MZ',
    });
    expect(refused.status).toBe(415);
    expect((await post(`${t.baseUrl}/api/conferences/${sessionId}/end`, auth)).status).toBe(200);
    expect((await fetch(`${t.baseUrl}/no/such/${sessionId}`)).status).toBe(404);
    expect(await t.app.records.sealer.runOnce()).toHaveLength(1);
    expect(await t.app.records.anchorer.runOnce()).toMatchObject({ anchored: 1 });

    // The anchor lag is looked up after the anchor: poll until it is observed.
    let after!: { text: string; families: Map<string, Family> };
    for (let i = 0; i < 100; i++) {
      after = await scrape(url);
      if (valueOf(after.families, 'v4h_anchor_lag_seconds_count') === 1) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const d = delta(before, after.families);
    expect(d('v4h_logins_total', { outcome: 'success' })).toBe(1);
    expect(d('v4h_logins_total', { outcome: 'failure' })).toBe(1);
    expect(d('v4h_logins_total', { outcome: 'rate_limited' })).toBe(0);
    expect(d('v4h_http_requests_total', { route: '/api/auth/login', method: 'POST', status: '200' })).toBe(1);
    expect(d('v4h_http_requests_total', { route: '/api/auth/login', method: 'POST', status: '401' })).toBe(1);
    expect(
      d('v4h_http_requests_total', { route: '/api/conferences/', method: 'POST', status: '201' }) +
        d('v4h_http_requests_total', { route: '/api/conferences', method: 'POST', status: '201' }),
    ).toBe(1);
    expect(d('v4h_http_requests_total', { route: '/api/conferences/:sessionId/start', method: 'POST', status: '200' })).toBe(1);
    expect(d('v4h_http_requests_total', { route: '/api/conferences/:sessionId/files', method: 'POST', status: '201' })).toBe(1);
    expect(d('v4h_http_requests_total', { route: '/api/conferences/:sessionId/files', method: 'POST', status: '415' })).toBe(1);
    expect(d('v4h_http_requests_total', { route: 'unmatched', method: 'GET', status: '404' })).toBe(1);
    // Scrapes before this one: /metrics counts itself.
    expect(d('v4h_http_request_duration_seconds_count', { route: '/metrics', method: 'GET' })).toBeGreaterThanOrEqual(3);
    expect(d('v4h_http_request_duration_seconds_count', { route: '/api/conferences/:sessionId/start', method: 'POST' })).toBe(1);
    expect(d('v4h_uploads_total', { outcome: 'stored' })).toBe(1);
    expect(d('v4h_uploads_total', { outcome: 'rejected' })).toBe(1);
    expect(d('v4h_uploads_total', { outcome: 'failed' })).toBe(0);
    expect(d('v4h_upload_bytes_total')).toBe(Buffer.byteLength(file));
    expect(d('v4h_upload_duration_seconds_count')).toBe(2);
    expect(d('v4h_manifests_sealed_total')).toBe(1);
    expect(d('v4h_anchor_batches_total')).toBe(1);
    expect(d('v4h_anchored_manifests_total')).toBe(1);
    expect(d('v4h_anchor_lag_seconds_count')).toBe(1);
    expect(d('v4h_ledger_errors_total')).toBe(0);
    expect(valueOf(after.families, 'v4h_anchor_oldest_pending_seconds')).toBe(0);
    expect(valueOf(after.families, 'v4h_conferences', { state: 'started' })).toBe(0);
    expect(valueOf(after.families, 'v4h_database_up')).toBe(1);
    expect(d('v4h_backend_errors_total', { backend: 'database' })).toBe(0);
    expect(after.families.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    // No personal data or unbounded values: no session id, user name, file name or raw URL.
    for (const secret of [sessionId, user.username, 'notes.txt', '/no/such']) expect(after.text).not.toContain(secret);
  });

  it('refuses a scrape without the token or with a wrong one', async () => {
    t = await createTestApp({ env: { V4H_METRICS: 'on', V4H_METRICS_TOKEN: TOKEN } });
    expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN.slice(1)}` } })).status).toBe(401);
  });

  it('is not served when metrics are off (the default)', async () => {
    t = await createTestApp();
    expect((await fetch(`${t.baseUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});

describe('GET /metrics on its own port', () => {
  it('serves the exposition there and nothing on the public port', async () => {
    t = await createTestApp({ env: { V4H_METRICS: 'on', V4H_METRICS_PORT: '0' } });
    const address = t.app.metricsServer!.address() as { port: number };
    const { families } = await scrape(`http://127.0.0.1:${address.port}/metrics`, undefined);
    expect(families.get('v4h_logins_total')?.type).toBe('counter');
    expect((await fetch(`http://127.0.0.1:${address.port}/other`)).status).toBe(404);
    expect((await fetch(`${t.baseUrl}/metrics`)).status).toBe(404);
  });

  it('asks for the token there too when one is set', async () => {
    t = await createTestApp({ env: { V4H_METRICS: 'on', V4H_METRICS_PORT: '0', V4H_METRICS_TOKEN: TOKEN } });
    const { port } = t.app.metricsServer!.address() as { port: number };
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    await scrape(`http://127.0.0.1:${port}/metrics`);
  });
});
