// The built-in room through a real coturn (TURN REST API, `use-auth-secret`), with the pages forced to relay-only:
// media flows through TURN with the credentials V4H mints per participant, expired credentials are refused, and a
// link that fails (the TURN server goes away and comes back) is restarted without anyone leaving the room.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RoomHarness, type Participant } from './support/room-harness.js';
import { startCoturn, type Coturn } from './support/coturn.js';
import { turnCredentials } from '../../packages/server/src/room/turn.js';

const SECRET = randomBytes(24).toString('base64url');
const h = new RoomHarness();
let turn: Coturn;

/**
 * Every RTCPeerConnection of the meeting page relays only (as a network that blocks UDP between the browsers
 * would force), and the test can read each one's selected candidate pair and connection-state history.
 */
const RELAY_ONLY = `(() => {
  const Base = window.RTCPeerConnection;
  if (!Base) return;
  const pcs = [];
  window.RTCPeerConnection = class extends Base {
    constructor(config, ...rest) {
      super(Object.assign({}, config || {}, { iceTransportPolicy: 'relay' }), ...rest);
      this.__states = [];
      this.addEventListener('connectionstatechange', () => this.__states.push(this.connectionState));
      pcs.push(this);
    }
  };
  window.__relayLinks = async () => {
    const out = [];
    for (const pc of pcs) {
      const stats = await pc.getStats();
      let pair;
      stats.forEach((r) => { if (r.type === 'transport' && r.selectedCandidatePairId) pair = stats.get(r.selectedCandidatePairId); });
      out.push({
        state: pc.connectionState,
        states: pc.__states,
        policy: pc.getConfiguration().iceTransportPolicy,
        usernames: pc.getConfiguration().iceServers.map((s) => s.username || null),
        local: pair ? stats.get(pair.localCandidateId).candidateType : null,
        remote: pair ? stats.get(pair.remoteCandidateId).candidateType : null,
      });
    }
    return out;
  };
})();`;

async function until(check: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

type Link = { state: string; states: string[]; policy: string; usernames: (string | null)[]; local: string | null; remote: string | null };
const links = (p: Participant): Promise<Link[]> => p.meeting().evaluate(() => (window as any).__relayLinks());

beforeAll(async () => {
  turn = await startCoturn(SECRET);
  await h.start({ V4H_ROOM_GRACE_PERIOD: '60', V4H_TURN_URLS: turn.url, V4H_TURN_SECRET: SECRET, V4H_TURN_CREDENTIAL_TTL: '3600' });
});
afterAll(async () => {
  await h.stop();
  await turn?.stop();
});

/** What a relay-only RTCPeerConnection gathers with the given TURN credentials: relay candidates and TURN errors. */
async function gather(p: Participant, server: { urls: string[]; username: string; credential: string }) {
  return p.page.evaluate(async (iceServer) => {
    const pc = new RTCPeerConnection({ iceServers: [iceServer], iceTransportPolicy: 'relay' });
    const relay: string[] = [];
    const errors: number[] = [];
    pc.onicecandidateerror = (e: any) => errors.push(e.errorCode);
    const done = new Promise<void>((resolve) => {
      pc.onicecandidate = (e) => (e.candidate ? relay.push(e.candidate.type ?? '') : resolve());
      setTimeout(resolve, 15_000);
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    await done;
    pc.close();
    return { relay, errors };
  }, server);
}

describe('built-in room through TURN (coturn, use-auth-secret)', () => {
  it('relays media through TURN with per-participant credentials, and restarts a failed link without leaving the room', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner', { initScripts: [RELAY_ONLY] });
    const ownerJoined = await owner.waitForEvent('videoConferenceJoined');
    const second = await h.joinAs(embed.sessionId, 'Pat');
    const patient = await h.open(second.embed, 'Pat', { initScripts: [RELAY_ONLY] });
    const patientJoined = await patient.waitForEvent('videoConferenceJoined');
    for (const p of [owner, patient]) {
      const { first, later } = await p.expectVideoFlowing();
      expect(later.frames).toBeGreaterThan(first.frames);
    }
    const [ownerLink] = await links(owner);
    const [patientLink] = await links(patient);
    for (const [link, id] of [
      [ownerLink, ownerJoined.data.id],
      [patientLink, patientJoined.data.id],
    ] as const) {
      expect(link).toMatchObject({ state: 'connected', policy: 'relay', local: 'relay' });
      // The credentials V4H minted for this participant: "<expiry>:<participant id>", an hour ahead.
      const [expiry, who] = link.usernames[0]!.split(':');
      expect(who).toBe(id);
      expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(3500);
    }
    // coturn saw allocations authenticated with those usernames.
    expect(turn.log()).toContain(`:${ownerJoined.data.id}`);
    expect(turn.log()).toContain(`:${patientJoined.data.id}`);

    // The network breaks: the TURN server goes away (its allocations with it) and comes back on the same port.
    const port = turn.port;
    await turn.stop();
    turn = await startCoturn(SECRET, port);
    // Each page's connection fails (consent checks go unanswered), the newcomer offers a new one, media flows again.
    await until(async () => (await links(patient)).some((l) => l.states.includes('failed')), 90_000);
    const failedAt = Date.now();
    await until(async () => {
      const all = await links(patient);
      return all.length >= 2 && all.at(-1)!.state === 'connected';
    }, 60_000);
    console.log(`link restarted ${Date.now() - failedAt} ms after it failed`);
    const after = await links(patient);
    expect(after.at(-1)).toMatchObject({ state: 'connected', local: 'relay' });
    // The failed connection was closed; one connection per other participant remains.
    expect(after.filter((l) => l.state !== 'closed')).toHaveLength(1);
    const again = await owner.expectVideoFlowing();
    expect(again.later.frames).toBeGreaterThan(again.first.frames);
    const patientAgain = await patient.expectVideoFlowing();
    expect(patientAgain.later.frames).toBeGreaterThan(patientAgain.first.frames);
    // Nobody left the room and no signaling socket was replaced: only the media link was restarted.
    for (const p of [owner, patient]) {
      const events = await p.events();
      expect(events.filter((e) => e.name === 'participantLeft' || e.name === 'videoConferenceLeft')).toEqual([]);
      expect(await p.meeting().evaluate(() => (window as any).__sockets.length)).toBe(1);
    }
    expect(turn.log()).toContain(`:${patientJoined.data.id}`);
  }, 240_000);

  it('coturn refuses credentials whose expiry has passed (401), and accepts fresh ones minted the same way', async () => {
    const { embed } = await h.startConference();
    const owner = await h.open(embed, 'Dr Owner');
    await owner.waitForEvent('videoConferenceJoined');
    const settings = { urls: [turn.url], secret: SECRET, ttlSeconds: 60 };
    const expired = await gather(owner, turnCredentials(settings, 'r-expired', Date.now() - 120_000));
    expect(expired.relay).toEqual([]);
    expect(expired.errors).toContain(401);
    expect(turn.log()).toMatch(/r-expired[\s\S]*401|401[\s\S]*r-expired/);
    const fresh = await gather(owner, turnCredentials(settings, 'r-fresh'));
    expect(fresh.relay).toContain('relay');
    expect(fresh.errors).not.toContain(401);
    // A wrong secret is refused too.
    const forged = await gather(owner, turnCredentials({ ...settings, secret: 'not-the-secret' }, 'r-forged'));
    expect(forged.relay).toEqual([]);
    expect(forged.errors).toContain(401);
  });
});
