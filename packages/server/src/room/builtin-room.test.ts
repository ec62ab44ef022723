// The wired room over the real database: participants left over from a previous process are recorded as gone.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { ConferenceService } from '../conferences/service.js';
import { createJitsiTokenIssuer } from '../jitsi/tokens.js';
import { systemClock } from '../lib/clock.js';
import { createBuiltinRoom } from './builtin-room.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t?.close());

it('records room participants of a previous process as gone, leaving SDK-reported ones alone', async () => {
  const owner = await t.userSession();
  const post = (path: string) =>
    fetch(`${t.baseUrl}${path}`, { method: 'POST', headers: { ...owner.auth, 'content-type': 'application/json' }, body: '{}' }).then((r) => r.json());
  const { sessionId } = await post('/api/conferences');
  await post(`/api/conferences/${sessionId}/start`);
  const conferences = new ConferenceService({ db: t.db, clock: systemClock, config: t.config, jitsi: await createJitsiTokenIssuer(t.config) });
  await conferences.participantJoined({ sessionId, participantId: 'r-before-restart', userId: null, displayName: 'Pat', actor: 'guest:Pat' });
  await conferences.participantJoined({ sessionId, participantId: 'p-sdk-report', userId: null, displayName: 'Pat', actor: 'guest:Pat' });

  const config = { ...t.config, room: { ...t.config.room, graceSeconds: 0 } };
  const room = createBuiltinRoom({ config, db: t.db, clock: systemClock, conferences, orphanDelayMs: 50 });
  try {
    const present = async () =>
      (await t.db.kysely.selectFrom('participants').select('participant_id').where('session_id', '=', sessionId).where('left_at', 'is', null).execute()).map(
        (r) => r.participant_id,
      );
    for (let i = 0; i < 100 && (await present()).includes('r-before-restart'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await present()).toEqual(['p-sdk-report']);
    const events = await t.db.kysely.selectFrom('conference_events').select(['type', 'actor']).where('session_id', '=', sessionId).orderBy('seq').execute();
    expect(events.at(-1)).toEqual({ type: 'left', actor: 'system' });
  } finally {
    room.close();
  }
});
