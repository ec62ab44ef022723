// getConference's service call answers at once (no promise) when its reads come from the SQLite read cache, and
// answers the same, with the same errors, when it has to wait (PostgreSQL, a recording's link to sign).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createJitsiTokenIssuer } from '../jitsi/tokens.js';
import { createTestApp, testDialect, type TestApp } from '../test-support/test-app.js';
import { ConferenceService, type Caller } from './service.js';

let t: TestApp;
let conferences: ConferenceService;
let ana: Caller;
let bob: Caller;
let sessionId: string;

beforeEach(async () => {
  t = await createTestApp();
  conferences = new ConferenceService({ db: t.db, clock: t.clock ?? { now: () => Date.now() }, config: t.config, jitsi: await createJitsiTokenIssuer(t.config) });
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

/** How details answered: at once (a value or a throw) or through a promise, and what. */
function answer(caller: Caller, id: string): { how: 'at once' | 'promise'; result: Promise<unknown> } {
  try {
    const value = conferences.details(caller, id);
    return value instanceof Promise ? { how: 'promise', result: value } : { how: 'at once', result: Promise.resolve(value) };
  } catch (error) {
    return { how: 'at once', result: Promise.reject(error) };
  }
}
const code = (result: Promise<unknown>) => result.then(() => 'answered', (error: unknown) => (error instanceof AppError ? error.code : String(error)));

describe('ConferenceService.details', () => {
  it('answers a repeated read at once on SQLite, through a promise on PostgreSQL, with the same record', async () => {
    const first = await answer(ana, sessionId).result; // fills the read cache on SQLite
    const again = answer(ana, sessionId);
    expect(again.how).toBe(testDialect() === 'sqlite' ? 'at once' : 'promise');
    expect(await again.result).toEqual(first);
    expect(first).toMatchObject({ sessionId, owner: 'ana', state: 'requested', urlStorage: null, ended: null });
  });

  it('refuses an unknown conference and another user with the same errors either way', async () => {
    await answer(ana, sessionId).result;
    await code(answer(bob, sessionId).result); // cached for bob's read too
    const other = answer(bob, sessionId);
    expect(other.how).toBe(testDialect() === 'sqlite' ? 'at once' : 'promise');
    expect(await code(other.result)).toBe('forbidden');
    await code(answer(ana, 'no-such-conference').result);
    expect(await code(answer(ana, 'no-such-conference').result)).toBe('not_found');
  });

  it('waits for a recording link that takes time, and shows it', async () => {
    const recordings = { primaryRecordingUrl: (id: string) => new Promise<string>((resolve) => setTimeout(() => resolve(`https://files.example/${id}`), 5)) };
    conferences = new ConferenceService({ db: t.db, clock: t.clock ?? { now: () => Date.now() }, config: t.config, jitsi: await createJitsiTokenIssuer(t.config), recordings });
    await answer(ana, sessionId).result;
    const withLink = answer(ana, sessionId);
    expect(withLink.how).toBe('promise');
    expect(await withLink.result).toMatchObject({ sessionId, urlStorage: `https://files.example/${sessionId}` });
  });

  it('sees a write at once: the cached answer follows the conference', async () => {
    await answer(ana, sessionId).result;
    await conferences.end(ana, sessionId);
    const after = answer(ana, sessionId);
    expect(await after.result).toMatchObject({ state: 'ended' });
  });
});
