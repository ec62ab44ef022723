// The meeting page's HTML shell (in the page's language) and its own Content-Security-Policy (embeddable by any origin: tokens guard the room).
import { stringsFor, type Language } from './browser/lang/index.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page; everything dynamic is done by meeting.js, which reads the language from `<html lang>`. */
export function meetingPageHtml(o: { roomName: string; scriptVersion: string; styleVersion: string; language: Language }): string {
  const room = escapeHtml(o.roomName);
  const t = stringsFor(o.language);
  const e = escapeHtml;
  return `<!doctype html>
<html lang="${e(t.htmlLang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="robots" content="noindex">
<title>${e(t.pageTitle)}</title>
<link rel="stylesheet" href="/room/meeting.css?v=${o.styleVersion}">
<script src="/room/meeting.js?v=${o.scriptVersion}" defer></script>
</head>
<body>
<main id="meeting" data-room="${room}" data-state="connecting">
  <h1 class="visually-hidden">${e(t.heading)}</h1>
  <p id="recording-indicator" class="recording-indicator" role="status" aria-label="${e(t.recording.indicatorLabel)}" hidden><span class="dot" aria-hidden="true"></span>${e(t.recording.indicator)}</p>
  <p id="subject" class="subject" hidden><span class="visually-hidden">${e(t.subjectLabel)}: </span><span id="subject-text"></span></p>
  <div class="body">
    <section id="stage" class="stage" aria-label="${e(t.participants)}"></section>
    <aside id="chat" class="panel chat" aria-labelledby="chat-title" hidden>
      <header><h2 id="chat-title">${e(t.chatPanel.title)}</h2><button id="chat-close" type="button" class="icon" aria-label="${e(t.chatPanel.close)}">×</button></header>
      <p class="note">${e(t.chatPanel.notStored)}</p>
      <ol id="chat-log" class="chat-log" aria-live="polite"></ol>
      <form id="chat-form" class="chat-form">
        <label class="to">${e(t.chatPanel.to)} <select id="chat-to"><option value="">${e(t.chatPanel.everyone)}</option></select></label>
        <div class="row"><input id="chat-input" type="text" maxlength="2000" autocomplete="off" placeholder="${e(t.chatPanel.placeholder)}" aria-label="${e(t.chatPanel.placeholder)}"><button type="submit">${e(t.chatPanel.send)}</button></div>
        <button id="chat-save" type="button" class="link" hidden>${e(t.chatPanel.save)}</button>
        <p id="chat-save-status" class="note" role="status"></p>
      </form>
    </aside>
    <aside id="people" class="panel people" aria-labelledby="people-title" hidden>
      <header><h2 id="people-title">${e(t.people.title)}</h2><button id="people-close" type="button" class="icon" aria-label="${e(t.people.close)}">×</button></header>
      <ol id="people-list" class="people-list"></ol>
    </aside>
    <aside id="devices" class="panel devices" aria-labelledby="devices-title" hidden>
      <header><h2 id="devices-title">${e(t.devices.title)}</h2><button id="devices-close" type="button" class="icon" aria-label="${e(t.devices.close)}">×</button></header>
      <label>${e(t.devices.microphone)}<select id="device-audioInput"></select></label>
      <label>${e(t.devices.camera)}<select id="device-videoInput"></select></label>
      <label id="device-audioOutput-label">${e(t.devices.speaker)}<select id="device-audioOutput"></select></label>
    </aside>
  </div>
  <p id="status" class="status" role="status" aria-live="polite">${e(t.status.connecting)}</p>
  <section id="media-problem" class="notice" role="alert" hidden>
    <h2 id="media-problem-title"></h2>
    <p id="media-problem-how"></p>
    <div class="row"><button id="media-retry" type="button">${e(t.media.retry)}</button><button id="media-dismiss" type="button">${e(t.media.dismiss)}</button></div>
  </section>
  <section id="consent" class="consent" role="alertdialog" aria-modal="true" aria-labelledby="consent-title" aria-describedby="consent-text" hidden>
    <h2 id="consent-title">${e(t.consent.title)}</h2>
    <p id="consent-text" class="consent-text"></p>
    <p class="note">${e(t.consent.notYet)}</p>
    <p id="consent-error" class="note error" role="alert" hidden>${e(t.consent.failed)}</p>
    <div class="row"><button id="consent-accept" type="button">${e(t.consent.accept)}</button><button id="consent-decline" type="button">${e(t.consent.decline)}</button></div>
  </section>
  <section id="refused" class="refused" role="alert" hidden>
    <h2 id="refused-title">${e(t.refusedDefault)}</h2>
    <p id="refused-message"></p>
    <p>${e(t.refusedHint)}</p>
  </section>
  <div class="toolbar" role="toolbar" aria-label="${e(t.callControls)}">
    <button id="mic" type="button" aria-pressed="false" disabled>${e(t.mute)}</button>
    <button id="cam" type="button" aria-pressed="false" disabled>${e(t.stopCamera)}</button>
    <button id="share" type="button" aria-pressed="false" disabled hidden>${e(t.shareScreen)}</button>
    <button id="people-toggle" type="button" aria-pressed="false" aria-controls="people" disabled hidden>${e(t.people.title)}</button>
    <button id="chat-toggle" type="button" aria-pressed="false" aria-controls="chat" disabled hidden>${e(t.chat)}<span id="chat-unread" class="badge" hidden></span></button>
    <button id="devices-toggle" type="button" aria-pressed="false" aria-controls="devices" disabled hidden>${e(t.settings)}</button>
    <button id="tile-view" type="button" aria-pressed="true" disabled>${e(t.tileView)}</button>
    <button id="record" type="button" aria-pressed="false" disabled hidden>${e(t.recording.start)}</button>
    <button id="mute-everyone" type="button" disabled hidden>${e(t.muteEveryone)}</button>
    <button id="hangup" type="button" class="danger" disabled>${e(t.leave)}</button>
  </div>
</main>
<noscript>${e(t.noScript)}</noscript>
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
