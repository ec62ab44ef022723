// useCallEvents: subscribe to the client's call events for as long as the component is mounted.
import { useEffect, useRef } from 'react';
import type { V4HEventName, V4HListener } from '@v4h/client';
import { useV4H } from './context.js';

/** Handlers by event name (joined, left, ended, participantJoined, participantLeft, authExpired, …). */
export type CallEventHandlers = { [E in V4HEventName]?: V4HListener<E> };

/**
 * Calls the handlers on the client's events. The latest handlers are used, so inline functions do not
 * resubscribe on every render.
 * @example
 * useCallEvents({ participantJoined: (p) => setCount((n) => n + 1), ended: () => navigate('/done') });
 */
export function useCallEvents(handlers: CallEventHandlers): void {
  const v4h = useV4H();
  const latest = useRef(handlers);
  latest.current = handlers;
  const names = Object.keys(handlers).sort().join(',');
  useEffect(() => {
    const subscribed = names.split(',').filter(Boolean) as V4HEventName[];
    const listeners = subscribed.map((event) => {
      const listener = (payload: unknown) => (latest.current[event] as ((p: unknown) => void) | undefined)?.(payload);
      v4h.on(event, listener);
      return [event, listener] as const;
    });
    return () => {
      for (const [event, listener] of listeners) v4h.off(event, listener);
    };
  }, [v4h, names]);
}
