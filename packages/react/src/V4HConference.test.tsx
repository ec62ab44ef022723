// Lifecycle of <V4HConference> in jsdom: one call under StrictMode's double mount, a leave on unmount.
import { StrictMode } from 'react';
import { act, cleanup, render, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { V4HProvider } from './context.js';
import { V4HConference, type V4HConferenceProps } from './V4HConference.js';
import { FakeClient } from './fake-client.test-support.js';

afterEach(cleanup);

function mount(fake: FakeClient, props: Partial<V4HConferenceProps> = {}, strict = true) {
  const tree = (p: Partial<V4HConferenceProps>) => (
    <V4HProvider client={fake.client}>
      <V4HConference sessionId="s1" mode="start" width={480} height={360} name="Dr. Ana" {...p} />
    </V4HProvider>
  );
  const view = render(strict ? <StrictMode>{tree(props)}</StrictMode> : tree(props));
  return { ...view, update: (p: Partial<V4HConferenceProps>) => view.rerender(strict ? <StrictMode>{tree(p)}</StrictMode> : tree(p)) };
}

const settle = () => act(() => new Promise((r) => setTimeout(r, 20)));

describe('<V4HConference>', () => {
  it('under StrictMode opens exactly one call, in its own div, and leaves it on unmount', async () => {
    const fake = new FakeClient();
    const { container, unmount } = mount(fake);
    await waitFor(() => expect(container.querySelector('div[data-v4h-conference] > iframe')).not.toBeNull());
    await settle();
    expect(fake.starts).toEqual(['s1']);
    expect(fake.leaves).toBe(0);
    unmount();
    await waitFor(() => expect(fake.leaves).toBe(1));
    expect(fake.current).toBeNull();
    expect(fake.starts).toEqual(['s1']);
  });

  it('joins with mode="join"', async () => {
    const fake = new FakeClient();
    mount(fake, { mode: 'join' });
    await waitFor(() => expect(fake.current).not.toBeNull());
    expect(fake.joins).toEqual(['s1']);
    expect(fake.starts).toEqual([]);
  });

  it('unmounted while the call is still opening: the call leaves as soon as it opened', async () => {
    const fake = new FakeClient();
    let open!: () => void;
    fake.gate = new Promise((r) => (open = r));
    const { unmount } = mount(fake);
    unmount();
    await settle();
    expect(fake.leaves).toBe(0);
    await act(async () => open());
    await waitFor(() => expect(fake.leaves).toBe(1));
    expect(fake.current).toBeNull();
    expect(fake.starts).toEqual(['s1']);
  });

  it('a new sessionId leaves the old call and opens the new one', async () => {
    const fake = new FakeClient();
    const { update } = mount(fake);
    await waitFor(() => expect(fake.current?.sessionId).toBe('s1'));
    update({ sessionId: 's2' });
    await waitFor(() => expect(fake.current?.sessionId).toBe('s2'));
    await settle();
    expect(fake.starts).toEqual(['s1', 's2']);
    // The old call was replaced by the new one (the SDK holds one call); the late leave of s1 does not touch s2.
    expect(fake.current?.sessionId).toBe('s2');
  });

  it('reports joined and ended for its session only, errors through onError, and the Jitsi API through jitsi', async () => {
    const fake = new FakeClient();
    const seen: string[] = [];
    mount(fake, {
      onJoined: (e) => seen.push(`joined:${e.sessionId}`),
      onEnded: (e) => seen.push(`ended:${e.sessionId}`),
      onError: (e) => seen.push(`error:${(e as { code: string }).code}`),
      jitsi: (api) => seen.push(`api:${typeof api.getIFrame}`),
    });
    await waitFor(() => expect(seen).toContain('api:function'));
    act(() => {
      fake.emit('joined', { sessionId: 'other' });
      fake.emit('joined', { sessionId: 's1' });
      fake.emit('error', { sessionId: 'other', error: Object.assign(new Error('x'), { code: 'jitsi_error' }) as never });
      fake.emit('error', { sessionId: 's1', error: Object.assign(new Error('token refused'), { code: 'jitsi_error' }) as never });
      fake.emit('ended', { sessionId: 's1' });
    });
    expect(seen).toEqual(['api:function', 'joined:s1', 'error:jitsi_error', 'ended:s1']);

    const failing = new FakeClient();
    failing.failWith = Object.assign(new Error('conference ended'), { code: 'conference_ended' });
    const errors: unknown[] = [];
    mount(failing, { onError: (e) => errors.push(e) });
    await waitFor(() => expect(errors).toHaveLength(1));
    expect((errors[0] as { code: string }).code).toBe('conference_ended');
  });

  it('removes its event listeners on unmount', async () => {
    const fake = new FakeClient();
    const { unmount } = mount(fake, { onEnded: () => {} });
    await waitFor(() => expect(fake.current).not.toBeNull());
    expect(fake.listenerCount('ended')).toBe(1);
    unmount();
    expect(fake.listenerCount('ended')).toBe(0);
  });
});
