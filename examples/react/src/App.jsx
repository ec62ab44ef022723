// The example: sign in, request a conference, start it in the built-in room (or Jitsi), watch its state, leave or end it.
import { useState } from 'react';
import { useV4H, V4HConference, useConference, useCallEvents } from '@v4h/react';

export function App() {
  const v4h = useV4H();
  const [signedIn, setSignedIn] = useState(false);
  const [sessionId, setSessionId] = useState(null);
  const [inCall, setInCall] = useState(false);
  const [error, setError] = useState(null);
  const [people, setPeople] = useState(0);
  const { details } = useConference(sessionId, { pollInterval: 2000 });
  useCallEvents({ participantJoined: () => setPeople((n) => n + 1), participantLeft: () => setPeople((n) => Math.max(0, n - 1)) });

  async function signIn(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      await v4h.login(form.get('username'), form.get('password'));
      setSignedIn(true);
      setError(null);
    } catch (e) {
      setError(e.message);
    }
  }

  if (!signedIn) {
    return (
      <form onSubmit={signIn}>
        <input name="username" placeholder="username" autoComplete="username" />
        <input name="password" type="password" placeholder="password" autoComplete="current-password" />
        <button type="submit">Sign in</button>
        {error && <p role="alert">{error}</p>}
      </form>
    );
  }
  return (
    <main>
      <p>
        Conference: <output id="state">{details?.state ?? 'none'}</output> · others in the call: <output id="people">{people}</output>
        {inCall && <output id="in-call"> · in the call</output>}
      </p>
      {!sessionId && <button onClick={async () => setSessionId(await v4h.requestConference())}>New consultation</button>}
      {sessionId && (
        <>
          <button onClick={() => setSessionId(null)}>Leave</button>
          <button onClick={() => v4h.endConference(sessionId)}>End for everyone</button>
          <V4HConference
            sessionId={sessionId}
            mode="start"
            width="100%"
            height={480}
            name="Dr. Ana"
            onJoined={() => setInCall(true)}
            onEnded={() => setInCall(false)}
            onError={(e) => setError(e.message)}
          />
        </>
      )}
      {error && <p role="alert">{error}</p>}
    </main>
  );
}
