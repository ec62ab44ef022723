// Presence and teardown of one call, driven through a fake IFrame API: joined once, left once, ended once.
import { afterEach, describe, expect, it, vi, type Mock } from 'vitest';
import { EventEmitter } from 'node:events';
import { Call, type Embed } from './call.js';
import type { V4HError } from './errors.js';
import { Emitter } from './events.js';
import type { JitsiMeetExternalAPI } from './jitsi.js';

const embed = (jwt: string | null): Embed => ({
  sessionId: 's1',
  state: 'started',
  scriptUrl: 'http://j/external_api.js',
  domain: 'j',
  roomName: 'room',
  jwt,
  moderator: true,
  displayName: 'Ana',
  presenceToken: 'pt',
});

/** The stand-in API's spied methods, as the mocks they are. */
const mocksOf = (api: unknown) => api as { executeCommand: Mock; dispose: Mock };

function setup(jwt: string | null = 'jwt', moderator = true) {
  const api = Object.assign(new EventEmitter(), { executeCommand: vi.fn(), dispose: vi.fn() }) as unknown as JitsiMeetExternalAPI & EventEmitter;
  const fetch = vi.fn(async () => new Response('{"state":"started"}'));
  const events = new Emitter();
  const seen: string[] = [];
  for (const name of ['joined', 'left', 'ended', 'participantJoined', 'participantLeft'] as const) events.on(name, () => seen.push(name));
  const errors: V4HError[] = [];
  events.on('error', ({ error }) => errors.push(error));
  const onEnd = vi.fn();
  const call = new Call({
    embed: { ...embed(jwt), moderator },
    api,
    avatarUrl: 'https://img.test/a.png',
    presenceUrl: 'http://v4h.test/api/conferences/s1/presence',
    fetch,
    events,
    onEnd,
  });
  const presence = () => fetch.mock.calls.map((c) => JSON.parse((c as unknown as [string, RequestInit])[1].body as string).event);
  return { api, fetch, call, seen, onEnd, presence, errors };
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
    expect(mocksOf(api).dispose).toHaveBeenCalledTimes(1);
    expect(onEnd).toHaveBeenCalledTimes(1);
    expect(call.over).toBe(true);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes the built-in room’s networkQualityChanged on as the SDK event, with the session id', () => {
    const { api } = setup();
    const events = new Emitter();
    const got: unknown[] = [];
    events.on('networkQualityChanged', (q) => got.push(q));
    new Call({ embed: embed('jwt'), api, presenceUrl: 'http://v4h.test/p', fetch: vi.fn(), events, onEnd: vi.fn() });
    const quality = { participantId: 'r-2', state: 'bad', reasons: ['packetLoss'], rttMs: 20, packetLoss: 0.2, bitrateKbps: 300 };
    api.emit('networkQualityChanged', quality);
    expect(got).toEqual([{ ...quality, sessionId: 's1' }]);
  });

  it('a left followed by a re-join (breakout room, Jitsi reloading) does not end the call', () => {
    vi.useFakeTimers();
    const { api, call, seen, presence } = setup();
    api.emit('videoConferenceJoined', { id: 'me', roomName: 'room' });
    api.emit('videoConferenceLeft', { roomName: 'room' });
    vi.advanceTimersByTime(2000);
    api.emit('videoConferenceJoined', { id: 'me2', roomName: 'breakout', breakoutRoom: true });
    vi.advanceTimersByTime(60_000);
    expect(call.over).toBe(false);
    expect(seen).toEqual(['joined']);
    expect(presence()).toEqual(['joined']);
    // A left with no re-join within the window is the end.
    api.emit('videoConferenceLeft', { roomName: 'breakout' });
    vi.advanceTimersByTime(5000);
    expect(call.over).toBe(true);
    expect(seen).toEqual(['joined', 'left', 'ended']);
    expect(presence()).toEqual(['joined', 'left']);
  });

  it('hangUp sends endConference (moderator) and disposes only after Jitsi confirms the leave', async () => {
    vi.useFakeTimers();
    const { api, call, seen } = setup();
    api.emit('videoConferenceJoined', { id: 'me' });
    const done = call.hangUp('end');
    expect(mocksOf(api).executeCommand).toHaveBeenCalledWith('endConference');
    vi.advanceTimersByTime(1000);
    expect(mocksOf(api).dispose).not.toHaveBeenCalled();
    expect(call.hangUp('end')).toBe(done);
    api.emit('videoConferenceLeft', { roomName: 'room' });
    await done;
    expect(mocksOf(api).dispose).toHaveBeenCalledTimes(1);
    expect(seen).toEqual(['joined', 'left', 'ended']);
  });

  it('hangUp by a participant sends hangup; with no answer from Jitsi it disposes after the bounded wait', async () => {
    vi.useFakeTimers();
    const { api, call, seen } = setup('jwt', false);
    api.emit('videoConferenceJoined', { id: 'me' });
    const done = call.hangUp('ended');
    expect(mocksOf(api).executeCommand).toHaveBeenCalledWith('hangup');
    vi.advanceTimersByTime(2999);
    expect(mocksOf(api).dispose).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    await done;
    expect(mocksOf(api).dispose).toHaveBeenCalledTimes(1);
    expect(seen).toEqual(['joined', 'left', 'ended']);
  });

  it('a fatal errorOccurred and passwordRequired become error events with code jitsi_error', () => {
    const { api, call, errors } = setup();
    api.emit('errorOccurred', { error: { name: 'conference.connectionError.notAllowed', message: 'x', type: 'CONFERENCE', isFatal: false } });
    expect(errors).toEqual([]);
    api.emit('errorOccurred', { error: { name: 'conference.authenticationRequired', message: '', type: 'CONFERENCE', isFatal: true } });
    api.emit('passwordRequired', {});
    expect(errors.map((e) => e.code)).toEqual(['jitsi_error', 'jitsi_error']);
    expect(errors[0].message).toContain('conference.authenticationRequired');
    expect(errors[1].message).toContain('conference.passwordRequired');
    expect(call.over).toBe(false);
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
    expect(mocksOf(withToken.api).executeCommand).not.toHaveBeenCalled();
    const withoutToken = setup(null);
    withoutToken.api.emit('videoConferenceJoined', { id: 'me' });
    expect(mocksOf(withoutToken.api).executeCommand).toHaveBeenCalledWith('avatarUrl', 'https://img.test/a.png');
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
    expect(JSON.parse(init.body as string)).toEqual({ event: 'joined', presenceToken: 'pt' });
  });

  it('renews its short-lived presence token as the server says, leaves with the newest one, and stops when the call ends', async () => {
    vi.useFakeTimers();
    const { api, fetch, call, presence } = setup();
    let n = 1;
    fetch.mockImplementation(async () => new Response(JSON.stringify({ state: 'started', presenceToken: `pt${++n}`, renewIn: 60 })));
    const tokens = () => fetch.mock.calls.map((c) => JSON.parse((c as unknown as [string, RequestInit])[1].body as string).presenceToken);
    api.emit('videoConferenceJoined', { id: 'me' });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(presence()).toEqual(['joined']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(presence()).toEqual(['joined', 'renew']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(presence()).toEqual(['joined', 'renew', 'renew']);
    call.end();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(presence()).toEqual(['joined', 'renew', 'renew', 'left']);
    expect(tokens()).toEqual(['pt', 'pt2', 'pt3', 'pt4']);
  });

  it('stops renewing when the server answers no new token (signed out, disabled, conference ended)', async () => {
    vi.useFakeTimers();
    const { api, fetch, presence } = setup();
    fetch.mockImplementationOnce(async () => new Response(JSON.stringify({ state: 'started', presenceToken: 'pt2', renewIn: 60 })));
    fetch.mockImplementation(async () => new Response(JSON.stringify({ error: 'unauthorized', message: 'signed out' }), { status: 401 }));
    api.emit('videoConferenceJoined', { id: 'me' });
    await vi.advanceTimersByTimeAsync(600_000);
    expect(presence()).toEqual(['joined', 'renew']);
  });
});
