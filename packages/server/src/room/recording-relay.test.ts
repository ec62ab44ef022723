// The room's recording relay: the log's consent and recording events reach every member as a state, the owner's first
// page is the one that records, and only the owner's page gets an API token.
import { describe, expect, it } from 'vitest';
import { RoomRecording, type RelayMember } from './recording-relay.js';
import type { ServerMessage } from './protocol.js';
import type { RoomIdentity } from './room-tokens.js';

const identity = (userId: string | null): RoomIdentity => ({
  id: userId ?? 'guest-1',
  userId,
  name: null,
  avatar: null,
  moderator: false,
  familyId: 'f',
  expiresAt: 0,
});

function member(id: string, userId: string | null) {
  const got: ServerMessage[] = [];
  const m: RelayMember = { id, identity: identity(userId), send: (msg) => void got.push(msg) };
  return { m, got };
}

function setup() {
  let listener: (rows: { seq: number; type: string; data: string }[]) => void = () => {};
  let unsubscribed = 0;
  const relay = new RoomRecording({
    subscribe: (_sessionId, l) => ((listener = l), () => void unsubscribed++),
    apiToken: async (who) => (who.userId === 'owner' ? { token: 'tok', expiresAt: 42 } : undefined),
  });
  const guest = member('r-guest', null);
  const owner = member('r-owner', 'owner');
  const owner2 = member('r-owner2', 'owner');
  const members = [guest.m, owner.m, owner2.m];
  relay.watch('s1', 'owner', () => members);
  return { relay, guest, owner, owner2, push: (rows: { seq: number; type: string; data: string }[]) => listener(rows), unsubscribed: () => unsubscribed };
}

describe('room recording relay', () => {
  it("sends every member the log's recording state, the owner's first page as the recorder", () => {
    const { guest, owner, owner2, push } = setup();
    push([
      { seq: 3, type: 'joined', data: '{}' },
      { seq: 4, type: 'consent_requested', data: JSON.stringify({ requestId: 'q1', purpose: 'recording' }) },
    ]);
    const expected = { type: 'recording-state', sessionId: 's1', recording: false, requestId: 'q1', recorderId: 'r-owner', seq: 4 };
    for (const m of [guest, owner, owner2]) expect(m.got.at(-1)).toEqual(expected);
    push([{ seq: 5, type: 'recording_started', data: '{}' }]);
    expect(guest.got.at(-1)).toMatchObject({ recording: true, seq: 5 });
    push([
      { seq: 6, type: 'consent_declined', data: '{}' },
      { seq: 7, type: 'recording_stopped', data: '{"reason":"consent_declined"}' },
    ]);
    expect(owner.got.at(-1)).toMatchObject({ recording: false, seq: 7 });
    // Other events change nothing and send nothing.
    const count = guest.got.length;
    push([{ seq: 8, type: 'chat_saved', data: '{}' }]);
    expect(guest.got).toHaveLength(count);
  });

  it('hands an API token to the owner only', async () => {
    const { relay, guest, owner } = setup();
    await relay.apiToken('s1', 'owner', owner.m);
    expect(owner.got.at(-1)).toEqual({ type: 'api-token', token: 'tok', expiresAt: 42, sessionId: 's1' });
    await relay.apiToken('s1', 'owner', guest.m);
    expect(guest.got.at(-1)).toMatchObject({ type: 'api-token-refused' });
  });

  it('stops following the log once unwatched', () => {
    const { relay, guest, push, unsubscribed } = setup();
    relay.unwatch('s1');
    expect(unsubscribed()).toBe(1);
    const count = guest.got.length;
    push([{ seq: 9, type: 'recording_started', data: '{}' }]);
    expect(guest.got).toHaveLength(count);
  });
});
