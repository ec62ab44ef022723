// Presence and teardown of one call, driven through a fake IFrame API: joined once, left once, ended once.
import { describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { Call, type Embed } from './call.js';
import { Emitter } from './events.js';
import type { JitsiMeetExternalAPI } from './jitsi.js';

const embed = (jwt: string | null): Embed => ({ sessionId: 's1', state: 'started', scriptUrl: 'http://j/external_api.js', domain: 'j', roomName: 'room', jwt, moderator: true, presenceToken: 'pt' });

function setup(jwt: string | null = 'jwt') {
  const api = Object.assign(new EventEmitter(), { executeCommand: vi.fn(), dispose: vi.fn() }) as unknown as JitsiMeetExternalAPI & EventEmitter;
  const fetch = vi.fn(async () => new Response('{"state":"started"}'));
  const events = new Emitter();
  const seen: string[] = [];
  for (const name of ['joined', 'left', 'ended', 'participantJoined', 'participantLeft'] as const) events.on(name, () => seen.push(name));
  const onEnd = vi.fn();
  const call = new Call({ embed: embed(jwt), api, avatarUrl: 'https://img.test/a.png', presenceUrl: 'http://v4h.test/api/conferences/s1/presence', fetch, events, onEnd });
  const presence = () => fetch.mock.calls.map((c) => JSON.parse(String((c as unknown as [string, RequestInit])[1].body)).event);
  return { api, fetch, call, seen, onEnd, presence };
}

describe('Call', () => {
  it('reports joined, then on videoConferenceLeft + readyToClose reports left, disposes and ends once', () => {
    const { api, call, seen, onEnd, presence } = setup();
    api.emit('videoConferenceJoined', { id: 'me', displayName: 'Ana', roomName: 'room' });
    api.emit('videoConferenceJoined', { id: 'me', displayName: 'Ana', roomName: 'room' });
    api.emit('participantJoined', { id: 'p2', displayName: 'Bo' });
    api.emit('participantLeft', { id: 'p2' });
    api.emit('videoConferenceLeft', { roomName: 'room' });
    api.emit('readyToClose', {});
    expect(presence()).toEqual(['joined', 'left']);
    expect(seen).toEqual(['joined', 'participantJoined', 'participantLeft', 'left', 'ended']);
    expect(api.dispose).toHaveBeenCalledTimes(1);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(call.over).toBe(true);
  });

  it('ends on readyToClose alone', () => {
    const { api, seen } = setup();
    api.emit('videoConferenceJoined', { id: 'me' });
    api.emit('readyToClose', {});
    expect(seen).toEqual(['joined', 'left', 'ended']);
  });

  it('sends the avatar as a command only when there is no token to carry it', () => {
    const withToken = setup('jwt');
    withToken.api.emit('videoConferenceJoined', { id: 'me' });
    expect(withToken.api.executeCommand).not.toHaveBeenCalled();
    const withoutToken = setup(null);
    withoutToken.api.emit('videoConferenceJoined', { id: 'me' });
    expect(withoutToken.api.executeCommand).toHaveBeenCalledWith('avatarUrl', 'https://img.test/a.png');
  });

  it('does not report a leave for a call never joined', () => {
    const { call, presence, seen } = setup();
    call.end();
    expect(presence()).toEqual([]);
    expect(seen).toEqual(['left', 'ended']);
  });

  it('sends presence without an Authorization header (the presence token is the credential)', () => {
    const { api, fetch } = setup();
    api.emit('videoConferenceJoined', { id: 'me' });
    const init = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(init.headers).not.toHaveProperty('authorization');
    expect(JSON.parse(String(init.body))).toEqual({ event: 'joined', presenceToken: 'pt' });
  });
});
