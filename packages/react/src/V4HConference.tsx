// <V4HConference>: opens a call in its own div, leaves it on unmount, and opens one call under StrictMode's double mount.
import { useEffect, useRef, type CSSProperties } from 'react';
import type { JitsiMeetExternalAPI, V4HEvents } from '@v4h/client';
import { useV4H, type V4HClient } from './context.js';

export interface V4HConferenceProps {
  sessionId: string;
  /** 'start' (the owner; default) or 'join' (a participant). */
  mode?: 'start' | 'join';
  /** The call's size: a number of pixels or a CSS length (default 640 × 480), read when the call opens. */
  width?: number | string;
  height?: number | string;
  /** Display name and avatar shown in the call, read when the call opens. */
  name?: string;
  avatarUrl?: string;
  /** This user is in the call. */
  onJoined?: (event: V4HEvents['joined']) => void;
  /** The call is over for this user (hung up, ended by the owner, ended by the server). */
  onEnded?: (event: V4HEvents['ended']) => void;
  /** Opening the call failed, or Jitsi reported a fatal error in it (a V4HError: not logged in, conference ended, token refused, …). */
  onError?: (error: unknown) => void;
  /** Called once the call is open, with the Jitsi Meet IFrame API object (commands, extra listeners). */
  jitsi?: (api: JitsiMeetExternalAPI) => void;
  className?: string;
  style?: CSSProperties;
}

/** One opened (or opening) call, shared by StrictMode's two mounts of the same component. */
interface Session {
  key: string;
  api: JitsiMeetExternalAPI | null;
  disposed: boolean;
  /** A leave scheduled by a cleanup; the immediate re-mount cancels it. */
  pendingLeave?: ReturnType<typeof setTimeout>;
}

/**
 * Mounts a V4H call (built-in room or Jitsi) in a div of its own. Unmounting leaves the call (the others
 * stay; use `v4h.endConference()` to end it for everyone).
 * @example
 * <V4HConference sessionId={id} mode="start" width="100%" height={560} name="Dr. Ana"
 *   onJoined={() => setInCall(true)} onEnded={() => setInCall(false)} onError={setError} />
 */
export function V4HConference(props: V4HConferenceProps) {
  const v4h = useV4H();
  const container = useRef<HTMLDivElement>(null);
  const latest = useRef(props);
  latest.current = props;
  const session = useRef<Session | null>(null);
  const mode = props.mode ?? 'start';
  const key = `${mode}:${props.sessionId}`;

  useEffect(() => {
    let s = session.current;
    if (s && s.key === key && s.pendingLeave !== undefined && !s.disposed) {
      // StrictMode (or a remount in the same commit): the call opened by the first mount goes on.
      clearTimeout(s.pendingLeave);
      s.pendingLeave = undefined;
    } else {
      s = { key, api: null, disposed: false };
      session.current = s;
      open(v4h, s, container.current!, latest);
    }
    const mine = s;
    const onJoined = (e: V4HEvents['joined']) => e.sessionId === latest.current.sessionId && !mine.disposed && latest.current.onJoined?.(e);
    const onEnded = (e: V4HEvents['ended']) => e.sessionId === latest.current.sessionId && !mine.disposed && latest.current.onEnded?.(e);
    const onError = (e: V4HEvents['error']) => e.sessionId === latest.current.sessionId && !mine.disposed && latest.current.onError?.(e.error);
    v4h.on('joined', onJoined);
    v4h.on('ended', onEnded);
    v4h.on('error', onError);
    return () => {
      v4h.off('joined', onJoined);
      v4h.off('ended', onEnded);
      v4h.off('error', onError);
      // Deferred: StrictMode re-runs the effect at once and cancels this; a real unmount leaves.
      mine.pendingLeave = setTimeout(() => {
        mine.pendingLeave = undefined;
        mine.disposed = true;
        if (session.current === mine) session.current = null;
        leave(v4h, mine);
      }, 0);
    };
  }, [v4h, key]);

  return <div ref={container} className={props.className} style={props.style} data-v4h-conference="" />;
}

function open(v4h: V4HClient, s: Session, node: HTMLDivElement, latest: { current: V4HConferenceProps }) {
  const { sessionId, mode = 'start', width, height, name, avatarUrl } = latest.current;
  const opening =
    mode === 'join'
      ? v4h.joinConference(sessionId, node, width, height, name, avatarUrl)
      : v4h.startConference(sessionId, node, width, height, name, avatarUrl);
  opening.then(
    () => {
      s.api = v4h.jApi;
      // Unmounted while opening: leave the call that just opened.
      if (s.disposed) return leave(v4h, s);
      if (s.api) latest.current.jitsi?.(s.api);
    },
    (error: unknown) => {
      if (!s.disposed) latest.current.onError?.(error);
    },
  );
}

/** Leaves the call if it is still the client's current one (another component may have opened a newer call). */
function leave(v4h: V4HClient, s: Session) {
  if (s.api && v4h.jApi === s.api) void v4h.leaveConference().catch(() => {});
}
