// useConference: a conference's details (state, end, record hash, anchor), kept fresh by polling and call events.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConferenceDetails } from '@v4h/client';
import { useV4H } from './context.js';

export interface UseConferenceOptions {
  /** Milliseconds between two reads (default 5000); 0 reads once (and on call events). */
  pollInterval?: number;
}

export interface UseConferenceResult {
  details: ConferenceDetails | null;
  error: unknown;
  loading: boolean;
  /** Reads the details now. */
  refresh(): Promise<void>;
}

/** Final: ended and anchored, nothing will change any more. */
const settled = (d: ConferenceDetails | null) => d?.state === 'ended' && d.DLTId !== null;

/**
 * The details of `sessionId` (`getConference`), read at once, then every `pollInterval` ms and whenever this
 * client's call of that session joins, leaves or ends; polling stops once the conference is ended and anchored.
 * @example
 * const { details } = useConference(sessionId);
 * return <p>{details?.state}</p>;
 */
export function useConference(sessionId: string | null | undefined, options: UseConferenceOptions = {}): UseConferenceResult {
  const v4h = useV4H();
  const pollInterval = options.pollInterval ?? 5000;
  const [state, setState] = useState<{ details: ConferenceDetails | null; error: unknown; loading: boolean }>({
    details: null,
    error: null,
    loading: !!sessionId,
  });
  const current = useRef(sessionId);
  current.current = sessionId;

  const refresh = useCallback(async () => {
    if (!sessionId) return;
    try {
      const details = await v4h.getConference(sessionId);
      if (current.current === sessionId) setState({ details, error: null, loading: false });
    } catch (error) {
      if (current.current === sessionId) setState((s) => ({ ...s, error, loading: false }));
    }
  }, [v4h, sessionId]);

  useEffect(() => {
    setState({ details: null, error: null, loading: !!sessionId });
    if (!sessionId) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    let last: ConferenceDetails | null = null;
    const tick = async () => {
      try {
        last = await v4h.getConference(sessionId);
        if (!stopped) setState({ details: last, error: null, loading: false });
      } catch (error) {
        if (!stopped) setState((s) => ({ ...s, error, loading: false }));
      }
      if (!stopped && pollInterval > 0 && !settled(last)) timer = setTimeout(() => void tick(), pollInterval);
    };
    void tick();
    const onCallEvent = (payload: { sessionId: string }) => {
      if (payload.sessionId === sessionId && !stopped) void refresh();
    };
    for (const event of ['joined', 'left', 'ended'] as const) v4h.on(event, onCallEvent);
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const event of ['joined', 'left', 'ended'] as const) v4h.off(event, onCallEvent);
    };
  }, [v4h, sessionId, pollInterval, refresh]);

  return { ...state, refresh };
}
