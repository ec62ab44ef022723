// getConference's service call: the same record and the same errors whether its reads come from the SQLite read cache
// (a repeated poll) or from the database, a recording's link included, and a write seen by the next poll.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createJitsiTokenIssuer } from '../jitsi/tokens.js';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { ConferenceService, type Caller } from './service.js';

let t: TestApp;
let conferences: ConferenceService;
let ana: Caller;
let bob: Caller;
let sessionId: string;

beforeEach(async () => {
  t = await createTestApp();
  conferences = new ConferenceService({
    db: t.db,
    clock: t.clock ?? { now: () => Date.now() },
    config: t.config,
    jitsi: await createJitsiTokenIssuer(t.config),
  });
  const caller = async (name: string) => {
    await t.createUser(name);
    const row = await t.db.kysely.selectFrom('users').select(['id', 'username']).where('username', '=', name).executeTakeFirstOrThrow();
    return { id: row.id, username: row.username };
  };
  ana = await caller('ana');
  bob = await caller('bob');
  ({ sessionId } = await conferences.request(ana));
});
afterEach(() => t.close());

const code = (result: Promise<unknown>) =>
  result.then(
    () => 'answered',
    (error: unknown) => (error instanceof AppError ? error.code : String(error)),
  );

describe('ConferenceService.details', () => {
  it('answers a repeated read (from the read cache on SQLite) with the same record', async () => {
    const first = await conferences.details(ana, sessionId);
    expect(first).toMatchObject({ sessionId, owner: 'ana', state: 'requested', urlStorage: null, ended: null });
    expect(await conferences.details(ana, sessionId)).toEqual(first);
  });

  it('refuses an unknown conference and another user with the same errors on a repeated read', async () => {
    await conferences.details(ana, sessionId);
    expect(await code(conferences.details(bob, sessionId))).toBe('forbidden');
    expect(await code(conferences.details(bob, sessionId))).toBe('forbidden');
    expect(await code(conferences.details(ana, 'no-such-conference'))).toBe('not_found');
    expect(await code(conferences.details(ana, 'no-such-conference'))).toBe('not_found');
  });

  it('waits for a recording link that takes time, and shows it', async () => {
    const recordings = { primaryRecordingUrl: (id: string) => new Promise<string>((resolve) => setTimeout(() => resolve(`https://files.example/${id}`), 5)) };
    conferences = new ConferenceService({
      db: t.db,
      clock: t.clock ?? { now: () => Date.now() },
      config: t.config,
      jitsi: await createJitsiTokenIssuer(t.config),
      recordings,
    });
    await conferences.details(ana, sessionId);
    expect(await conferences.details(ana, sessionId)).toMatchObject({ sessionId, urlStorage: `https://files.example/${sessionId}` });
  });

  it("answers getConference's repeated read at once on SQLite (a value, errors thrown), and as a promise otherwise", async () => {
    await conferences.details(ana, sessionId);
    const again = conferences.detailsSoon(ana, sessionId);
    if (t.db.dialect === 'sqlite') {
      expect(again).not.toBeInstanceOf(Promise);
      expect(again).toEqual(await conferences.details(ana, sessionId));
      expect(() => conferences.detailsSoon(bob, sessionId)).toThrow(expect.objectContaining({ code: 'forbidden' }));
    } else {
      expect(again).toBeInstanceOf(Promise);
      expect(await again).toEqual(await conferences.details(ana, sessionId));
    }
    // A write empties the read cache: the next read is the database's, with the new state.
    await conferences.end(ana, sessionId);
    expect(await conferences.detailsSoon(ana, sessionId)).toMatchObject({ state: 'ended' });
  });

  it('sees a write at once: the cached answer follows the conference', async () => {
    await conferences.details(ana, sessionId);
    await conferences.end(ana, sessionId);
    expect(await conferences.details(ana, sessionId)).toMatchObject({ state: 'ended' });
  });
});
