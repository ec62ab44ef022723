// The sweeper ends conferences past their max duration or idle timeout, also across a restart.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, createTestDatabase, type TestApp } from '../test-support/test-app.js';
import { ConferenceService } from './service.js';
import { startConferenceSweeper } from './sweeper.js';
import { createJitsiTokenIssuer } from '../jitsi/tokens.js';

const env = { V4H_CONFERENCE_MAX_DURATION: '3600', V4H_CONFERENCE_IDLE_TIMEOUT: '7200' };
const apps: TestApp[] = [];
afterEach(async () => {
  while (apps.length) await apps.pop()!.close();
});

async function service(t: TestApp) {
  return new ConferenceService({ db: t.db, clock: t.clock!, config: t.config, jitsi: await createJitsiTokenIssuer(t.config) });
}
async function post(t: TestApp, auth: Record<string, string>, p: string, body: unknown = {}) {
  const res = await fetch(`${t.baseUrl}${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return res.json();
}

describe('sweeper', () => {
  it('ends a started conference at its max duration and an untouched one at the idle timeout', async () => {
    const t = await createTestApp({ manualClock: true, env });
    apps.push(t);
    const ana = await t.userSession('ana');
    const { sessionId: running } = await post(t, ana.auth, '/api/conferences');
    const { sessionId: forgotten } = await post(t, ana.auth, '/api/conferences');
    await post(t, ana.auth, `/api/conferences/${running}/start`);
    const conferences = await service(t);

    t.clock!.advance(3599);
    expect(await conferences.sweepOnce()).toBe(0);
    t.clock!.advance(1);
    expect(await conferences.sweepOnce()).toBe(1);
    t.clock!.advance(3600); // forgotten: 7200 s since its last activity
    expect(await conferences.sweepOnce()).toBe(1);

    const rows = await t.db.kysely.selectFrom('conferences').select(['session_id', 'state', 'end_reason']).execute();
    expect(Object.fromEntries(rows.map((r) => [r.session_id, [r.state, r.end_reason]]))).toEqual({
      [running]: ['ended', 'max_duration'],
      [forgotten]: ['ended', 'idle_timeout'],
    });
    expect(await conferences.sweepOnce()).toBe(0);
  });

  it('resumes after a restart in the middle of a conference', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-restart-'));
    const database = await createTestDatabase(dataDir);
    try {
      const first = await createTestApp({ manualClock: true, env, dataDir, database });
      const ana = await first.userSession('ana');
      const { sessionId } = await post(first, ana.auth, '/api/conferences');
      await post(first, ana.auth, `/api/conferences/${sessionId}/start`);
      const startedAt = first.clock!.now();
      await first.close();

      const second = await createTestApp({ manualClock: true, env, dataDir, database });
      apps.push(second);
      second.clock!.ms = startedAt + 1800_000;
      const conferences = await service(second);
      expect(await conferences.sweepOnce()).toBe(0);
      second.clock!.ms = startedAt + 3600_000;
      expect(await conferences.sweepOnce()).toBe(1);
      const row = await second.db.kysely.selectFrom('conferences').selectAll().where('session_id', '=', sessionId).executeTakeFirstOrThrow();
      expect([row.state, row.end_reason, row.ended_at]).toEqual(['ended', 'max_duration', startedAt + 3600_000]);
    } finally {
      await database.destroy();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('runs by itself when workers are on', async () => {
    const t = await createTestApp({ env: { ...env, V4H_CONFERENCE_IDLE_TIMEOUT: '1', V4H_SWEEP_INTERVAL: '1' }, workers: true });
    apps.push(t);
    const ana = await t.userSession('ana');
    const { sessionId } = await post(t, ana.auth, '/api/conferences');
    const deadline = Date.now() + 10_000;
    let state = 'requested';
    while (state !== 'ended' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const row = await t.db.kysely.selectFrom('conferences').select('state').where('session_id', '=', sessionId).executeTakeFirstOrThrow();
      state = row.state;
    }
    expect(state).toBe('ended');
  });

  it('stopped before its first sweep, never sweeps (the database may be closed by then) and logs nothing', async () => {
    let sweeps = 0;
    const logged: string[] = [];
    const log = { info: (_o: object, msg: string) => void logged.push(msg), error: (_o: object, msg: string) => void logged.push(msg) };
    const sweeper = startConferenceSweeper({ sweepOnce: async () => ++sweeps }, 1, log);
    await sweeper.stop();
    await new Promise((resolve) => setTimeout(resolve, 50)); // past the first sweep's turn
    expect(sweeps).toBe(0);
    expect(logged).toEqual([]);
    // Left running, it sweeps at once.
    const running = startConferenceSweeper({ sweepOnce: async () => ++sweeps }, 60, log);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await running.stop();
    expect(sweeps).toBe(1);
    expect(logged).toEqual(['sweeper ended conferences']);
  });
});
