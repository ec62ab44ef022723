// The meeting page's HTML shell and its own Content-Security-Policy (embeddable by any origin: tokens guard the room).

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page; everything dynamic is done by meeting.js. */
export function meetingPageHtml(o: { roomName: string; scriptVersion: string; styleVersion: string }): string {
  const room = escapeHtml(o.roomName);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Video call · V4H</title>
<link rel="stylesheet" href="/room/meeting.css?v=${o.styleVersion}">
<script src="/room/meeting.js?v=${o.scriptVersion}" defer></script>
</head>
<body>
<main id="meeting" data-room="${room}" data-state="connecting">
  <h1 class="visually-hidden">Video call</h1>
  <section id="stage" class="stage" aria-label="Participants"></section>
  <p id="status" class="status" role="status" aria-live="polite">Connecting…</p>
  <section id="refused" class="refused" role="alert" hidden>
    <h2 id="refused-title">You can't join this call</h2>
    <p id="refused-message"></p>
  </section>
  <div class="toolbar" role="toolbar" aria-label="Call controls">
    <button id="mic" type="button" aria-pressed="false" disabled>Mute</button>
    <button id="cam" type="button" aria-pressed="false" disabled>Stop camera</button>
    <button id="hangup" type="button" class="danger" disabled>Leave call</button>
  </div>
</main>
<noscript>This video call needs JavaScript.</noscript>
</body>
</html>
`;
}

/** CSP for the page: own scripts and styles only, media from the devices, signaling to this server. */
export function meetingPageCsp(publicUrl: string): string {
  const url = new URL(publicUrl);
  const ws = `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`;
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    // Avatars come from the token or the integrator: any http(s) image.
    "img-src 'self' https: http: data:",
    "media-src 'self' blob: mediastream:",
    `connect-src 'self' ${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    // Any site may embed the room (like Jitsi); the token decides who gets in.
    'frame-ancestors *',
  ].join('; ');
}
