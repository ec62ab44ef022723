// Harness for built-in room tests: a V4H test app, a host page on another origin, and Chromium with fake devices.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Frame, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from './browser.js';
import { createTestApp, type TestApp } from '../../../packages/server/src/test-support/test-app.js';
// @ts-expect-error plain-JS build script
import { buildRoomAssets } from '../../../packages/server/build-room.js';

export const EVENT_NAMES = [
  'videoConferenceJoined',
  'videoConferenceLeft',
  'readyToClose',
  'participantJoined',
  'participantLeft',
  'audioMuteStatusChanged',
  'videoMuteStatusChanged',
  'errorOccurred',
  'displayNameChange',
  'cameraError',
  'micError',
  'incomingMessage',
  'outgoingMessage',
  'chatUpdated',
  'screenSharingStatusChanged',
  'contentSharingParticipantsChanged',
  'networkQualityChanged',
  'participantRoleChanged',
  'dominantSpeakerChanged',
  'tileViewChanged',
  'subjectChange',
  'avatarChanged',
  'participantKickedOut',
  'recordingStatusChanged',
  'recordingLinkAvailable',
];

/** The integrator's page: loads the room's external_api.js and records every IFrame API event. */
export const HOST_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>host</title></head><body>
<div id="call"></div>
<script>
window.events = [];
window.openCall = (embed, displayName, extra) => new Promise((resolve, reject) => {
  const script = document.createElement('script');
  script.src = embed.scriptUrl;
  script.onload = () => {
    const api = new JitsiMeetExternalAPI(embed.domain, Object.assign({ roomName: embed.roomName, jwt: embed.jwt,
      parentNode: document.getElementById('call'), width: 640, height: 480, userInfo: { displayName } }, extra || {}));
    window.api = api;
    for (const name of ${JSON.stringify(EVENT_NAMES)}) api.on(name, (data) => window.events.push({ name, data, at: Date.now() }));
    resolve();
  };
  script.onerror = () => reject(new Error('external_api.js did not load'));
  document.head.appendChild(script);
});
</script></body></html>`;

/** Wraps RTCPeerConnection and WebSocket in every frame so tests can read the (cross-origin) meeting page's video stats and drop its socket. */
export const STATS_HOOK = `(() => {
  const OriginalSocket = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends OriginalSocket { constructor(...args) { super(...args); window.__sockets.push(this); } };
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  const pcs = [];
  window.RTCPeerConnection = class extends Original { constructor(...args) { super(...args); pcs.push(this); } };
  window.__pcCount = () => pcs.length;
  window.__videoSourceWidths = async () => {
    const widths = [];
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((r) => { if (r.type === 'media-source' && r.kind === 'video' && r.width) widths.push(r.width); });
    }
    return widths;
  };
  window.__videoIn = async () => {
    let frames = 0, bytes = 0;
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') { frames += r.framesDecoded || 0; bytes += r.bytesReceived || 0; } });
    }
    return { frames, bytes };
  };
})();`;

export interface Embed {
  sessionId: string;
  state: string;
  scriptUrl: string;
  domain: string;
  roomName: string;
  jwt: string;
  moderator: boolean;
}

export interface RoomEvent {
  name: string;
  data: Record<string, any>;
  at: number;
}

export class RoomHarness {
  browser!: Browser;
  app!: TestApp;
  hostServer!: http.Server;
  hostUrl = '';
  readonly #contexts: BrowserContext[] = [];

  async start(env: Record<string, string>) {
    await buildRoomAssets();
    this.app = await createTestApp({ env });
    this.hostServer = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(HOST_PAGE));
    await new Promise<void>((resolve) => this.hostServer.listen(0, '127.0.0.1', resolve));
    this.hostUrl = `http://127.0.0.1:${(this.hostServer.address() as AddressInfo).port}/host.html`;
    this.browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }

  /**
   * Closes every page opened so far. Each test builds its own call: a finished call's browsers would otherwise keep
   * sending video (and recording it) through every later test of the file, which is what made them time out under load.
   */
  async closeContexts() {
    for (const c of this.#contexts.splice(0)) await c.close().catch(() => {});
  }

  async stop() {
    await this.closeContexts();
    await this.browser?.close();
    await new Promise((resolve) => this.hostServer?.close(resolve));
    await this.app?.close();
  }

  async api<T = any>(method: string, path: string, auth?: { authorization: string }, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.app.baseUrl}${path}`, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...auth },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** A new conference started by a fresh owner; returns the owner's session and embed. */
  async startConference() {
    const owner = await this.app.userSession();
    const created = await this.api('POST', '/api/conferences', owner.auth, {});
    const started = await this.api<Embed>('POST', `/api/conferences/${created.body.sessionId}/start`, owner.auth, { displayName: 'Dr Owner' });
    if (started.status !== 200) throw new Error(`start failed: ${JSON.stringify(started.body)}`);
    return { owner, embed: started.body };
  }

  async joinAs(sessionId: string, displayName: string) {
    const user = await this.app.userSession();
    const joined = await this.api<Embed>('POST', `/api/conferences/${sessionId}/join`, user.auth, { displayName });
    if (joined.status !== 200) throw new Error(`join failed: ${JSON.stringify(joined.body)}`);
    return { user, embed: joined.body };
  }

  /**
   * Opens the meeting page itself (as a guest link does, no embedding page) in a fresh context with the given
   * viewport and browser locale; `lang` adds `?lang=`.
   */
  async openDirect(embed: Embed, opts: { viewport?: { width: number; height: number }; locale?: string; lang?: string } = {}): Promise<Page> {
    const context = await this.browser.newContext({ viewport: opts.viewport ?? { width: 1280, height: 800 }, locale: opts.locale ?? 'en-US' });
    this.#contexts.push(context);
    await context.addInitScript(STATS_HOOK);
    const page = await context.newPage();
    const query = opts.lang ? `?lang=${encodeURIComponent(opts.lang)}` : '';
    await page.goto(`${this.app.baseUrl}/${embed.roomName}${query}#jwt=${encodeURIComponent(JSON.stringify(embed.jwt))}`);
    return page;
  }

  /** Opens the host page in a fresh context (another browser when given) and creates the IFrame API there. */
  async open(
    embed: Embed,
    displayName: string,
    opts: { browser?: Browser; extra?: Record<string, unknown>; locale?: string; permissions?: string[]; initScripts?: string[] } = {},
  ): Promise<Participant> {
    const context = await (opts.browser ?? this.browser).newContext(opts.locale ? { locale: opts.locale } : {});
    this.#contexts.push(context);
    // Only for a browser that does not allow devices by itself (without --use-fake-ui-for-media-stream).
    // Chromium keys an embedded page's device permission on the top-level page: grant both origins.
    if (opts.permissions) for (const origin of [this.app.baseUrl, new URL(this.hostUrl).origin]) await context.grantPermissions(opts.permissions, { origin });
    await context.addInitScript(STATS_HOOK);
    for (const script of opts.initScripts ?? []) await context.addInitScript(script);
    const page = await context.newPage();
    await page.goto(this.hostUrl);
    await page.evaluate(([e, n, x]) => (window as any).openCall(e, n, x), [embed, displayName, opts.extra ?? {}] as const);
    return new Participant(page, context);
  }
}

export class Participant {
  constructor(
    readonly page: Page,
    readonly context: BrowserContext,
  ) {}

  events(): Promise<RoomEvent[]> {
    return this.page.evaluate(() => (window as any).events);
  }

  async waitForEvent(name: string, predicate: (e: RoomEvent) => boolean = () => true, timeoutMs = 20_000): Promise<RoomEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = (await this.events()).find((e) => e.name === name && predicate(e));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${name} event within ${timeoutMs} ms; got ${JSON.stringify(await this.events())}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  command(name: string, ...args: unknown[]) {
    return this.page.evaluate(([n, a]) => (window as any).api.executeCommand(n, ...a), [name, args] as const);
  }

  call<T>(method: string, ...args: unknown[]): Promise<T> {
    return this.page.evaluate(([m, a]) => (window as any).api[m](...a), [method, args] as const);
  }

  /** The meeting page inside the cross-origin iframe. */
  meeting(): Frame {
    const frame = this.page.frames().find((f) => /\/v4h-[a-z0-9-]+/.test(f.url()));
    if (!frame) throw new Error('meeting frame not found');
    return frame;
  }

  videoIn(): Promise<{ frames: number; bytes: number }> {
    return this.meeting().evaluate(() => (window as any).__videoIn());
  }

  /** Waits until inbound video frames and bytes keep growing. */
  async expectVideoFlowing(timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    let first = { frames: 0, bytes: 0 };
    while (first.frames === 0 || first.bytes === 0) {
      if (Date.now() > deadline) throw new Error('no video decoded');
      await new Promise((r) => setTimeout(r, 250));
      first = await this.videoIn();
    }
    await new Promise((r) => setTimeout(r, 1500));
    const later = await this.videoIn();
    return { first, later };
  }
}
