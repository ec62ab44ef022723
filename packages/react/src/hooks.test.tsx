// useConference (polling, refresh on call events, stop once settled), useCallEvents and useV4H in jsdom.
import { StrictMode } from 'react';
import { act, cleanup, render, renderHook, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { V4HProvider, useV4H } from './context.js';
import { useConference } from './useConference.js';
import { useCallEvents } from './useCallEvents.js';
import { FakeClient } from './fake-client.test-support.js';

afterEach(cleanup);

const wrapper = (fake: FakeClient) =>
  function Wrapper({ children }: { children: React.ReactNode }) {
    return (
      <StrictMode>
        <V4HProvider client={fake.client}>{children}</V4HProvider>
      </StrictMode>
    );
  };

describe('useConference', () => {
  it('reads the details, polls them, re-reads on an ended event, and stops once ended and anchored', async () => {
    const fake = new FakeClient();
    const { result } = renderHook(() => useConference('s1', { pollInterval: 30 }), { wrapper: wrapper(fake) });
    await waitFor(() => expect(result.current.details?.state).toBe('requested'));
    expect(result.current.loading).toBe(false);
    fake.details = { ...fake.details, state: 'started' };
    await waitFor(() => expect(result.current.details?.state).toBe('started'));
    fake.details = { ...fake.details, state: 'ended', ended: '2026-01-01T10:00:00Z', DLTId: 'tx1' };
    act(() => fake.emit('ended', { sessionId: 's1' }));
    await waitFor(() => expect(result.current.details?.DLTId).toBe('tx1'));
    await act(() => new Promise((r) => setTimeout(r, 100)));
    const reads = fake.reads;
    await act(() => new Promise((r) => setTimeout(r, 150)));
    expect(fake.reads).toBe(reads);
  });

  it('reports a failed read as error, and reads nothing without a session id', async () => {
    const fake = new FakeClient();
    fake.getConference = async () => {
      throw new Error('not_found');
    };
    const { result } = renderHook(() => useConference('s1', { pollInterval: 0 }), { wrapper: wrapper(fake) });
    await waitFor(() => expect((result.current.error as Error)?.message).toBe('not_found'));
    const idle = new FakeClient();
    const none = renderHook(() => useConference(null), { wrapper: wrapper(idle) });
    await act(() => new Promise((r) => setTimeout(r, 30)));
    expect(none.result.current).toMatchObject({ details: null, loading: false });
    expect(idle.reads).toBe(0);
  });
});

describe('useCallEvents', () => {
  it('calls the latest handlers and unsubscribes on unmount', async () => {
    const fake = new FakeClient();
    const seen: string[] = [];
    const { rerender, unmount } = renderHook(({ tag }) => useCallEvents({ participantJoined: (p) => seen.push(`${tag}:${p.id}`) }), {
      wrapper: wrapper(fake),
      initialProps: { tag: 'a' },
    });
    act(() => fake.emit('participantJoined', { sessionId: 's1', id: 'p1' }));
    rerender({ tag: 'b' });
    act(() => fake.emit('participantJoined', { sessionId: 's1', id: 'p2' }));
    expect(seen).toEqual(['a:p1', 'b:p2']);
    unmount();
    expect(fake.listenerCount('participantJoined')).toBe(0);
  });
});

describe('useV4H', () => {
  it('throws outside a provider', () => {
    function Orphan() {
      useV4H();
      return null;
    }
    const quiet = console.error;
    console.error = () => {};
    try {
      expect(() => render(<Orphan />)).toThrow(/V4HProvider/);
    } finally {
      console.error = quiet;
    }
  });
});
