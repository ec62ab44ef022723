// /external_api.js of the built-in room: a JitsiMeetExternalAPI with the surface integrators use on Jitsi's.
import { HASH, MESSAGE_TAG, type PageToParent } from './messages.js';

type Listener = (...args: any[]) => void;

interface Options {
  roomName?: string;
  width?: number | string;
  height?: number | string;
  parentNode?: HTMLElement;
  jwt?: string;
  userInfo?: { displayName?: string; email?: string };
  configOverwrite?: { startWithAudioMuted?: boolean; startWithVideoMuted?: boolean; [key: string]: unknown };
  interfaceConfigOverwrite?: Record<string, unknown>;
  /** The meeting page's language (`en`, `pt-BR`); without it the browser's. */
  lang?: string;
  onload?: () => void;
  [key: string]: unknown;
}

interface ParticipantInfo {
  participantId: string;
  displayName: string;
  formattedDisplayName: string;
  avatarURL?: string;
}

// The protocol the script was loaded with: the room is served from the same server (http locally, https deployed).
const scriptSrc = (document.currentScript as HTMLScriptElement | null)?.src;
const scriptProtocol = scriptSrc ? new URL(scriptSrc).protocol : 'https:';
let nextApiId = 0;

/** Jitsi's rule: numbers are pixels; strings must be CSS lengths, otherwise ignored. */
function cssSize(value: number | string | undefined): string | undefined {
  if (typeof value === 'number') return `${value}px`;
  if (typeof value === 'string' && /^([0-9]*\.?[0-9]+)(em|pt|px|%|vh|vw|rem)$/.test(value)) return value;
  return undefined;
}

const hashValue = (key: string, value: unknown) => `${encodeURIComponent(key)}=${encodeURIComponent(JSON.stringify(value))}`;

class JitsiMeetExternalAPI {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #iframe: HTMLIFrameElement;
  readonly #origin: string;
  readonly #apiId = nextApiId++;
  readonly #participants = new Map<string, ParticipantInfo>();
  readonly #pending: unknown[][] = [];
  #ready = false;
  #inCall = false;
  #removeTimer: ReturnType<typeof setTimeout> | undefined;
  #audioMuted: boolean;
  #videoMuted: boolean;
  #disposed = false;
  readonly #onMessage = (event: MessageEvent) => this.#receive(event);

  constructor(domain: string, options: Options = {}) {
    const roomName = String(options.roomName ?? '').toLowerCase();
    this.#origin = new URL(`${scriptProtocol}//${domain}`).origin;
    this.#audioMuted = options.configOverwrite?.startWithAudioMuted === true;
    this.#videoMuted = options.configOverwrite?.startWithVideoMuted === true;
    const hash = [hashValue(HASH.apiId, this.#apiId), hashValue(HASH.parentOrigin, window.location.origin)];
    // The token travels in the fragment: never sent to the server in a URL, never logged.
    if (options.jwt) hash.push(hashValue(HASH.jwt, options.jwt));
    if (options.userInfo?.displayName) hash.push(hashValue(HASH.displayName, options.userInfo.displayName));
    if (this.#audioMuted) hash.push(hashValue(HASH.startWithAudioMuted, true));
    if (this.#videoMuted) hash.push(hashValue(HASH.startWithVideoMuted, true));

    const iframe = document.createElement('iframe');
    iframe.id = `jitsiConferenceFrame${this.#apiId}`;
    iframe.name = iframe.id;
    iframe.allow = 'camera; microphone; autoplay; display-capture; fullscreen';
    iframe.allowFullscreen = true;
    iframe.title = 'Video call';
    iframe.style.border = '0';
    iframe.style.width = cssSize(options.width) ?? '100%';
    iframe.style.height = cssSize(options.height) ?? '720px';
    // The language goes in the query: the server renders the page in it (Jitsi also takes config.defaultLanguage).
    const lang = typeof options.lang === 'string' ? options.lang : options.configOverwrite?.defaultLanguage;
    const query = typeof lang === 'string' && lang ? `?lang=${encodeURIComponent(lang)}` : '';
    iframe.src = `${this.#origin}/${encodeURIComponent(roomName)}${query}#${hash.join('&')}`;
    if (options.onload) iframe.addEventListener('load', options.onload);
    this.#iframe = iframe;
    window.addEventListener('message', this.#onMessage);
    (options.parentNode ?? document.body).appendChild(iframe);
  }

  on(event: string, listener: Listener): this {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this;
  }

  addListener(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  /** Jitsi's older name. */
  addEventListener(event: string, listener: Listener): this {
    return this.on(event, listener);
  }

  addEventListeners(listeners: Record<string, Listener>): this {
    for (const [event, listener] of Object.entries(listeners)) this.on(event, listener);
    return this;
  }

  once(event: string, listener: Listener): this {
    const wrapper: Listener = (...args) => {
      this.off(event, wrapper);
      listener(...args);
    };
    return this.on(event, wrapper);
  }

  off(event: string, listener: Listener): this {
    this.#listeners.get(event)?.delete(listener);
    return this;
  }

  removeListener(event: string, listener: Listener): this {
    return this.off(event, listener);
  }

  removeEventListener(event: string): this {
    this.#listeners.delete(event);
    return this;
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.#listeners.clear();
    else this.#listeners.delete(event);
    return this;
  }

  emit(event: string, ...args: unknown[]): boolean {
    const set = this.#listeners.get(event);
    if (!set?.size) return false;
    for (const listener of [...set]) {
      try {
        listener(...args);
      } catch (error) {
        // One integrator listener failing must not stop the others.
        setTimeout(() => {
          throw error;
        });
      }
    }
    return true;
  }

  /** Commands: displayName, avatarUrl, toggleAudio, toggleVideo, hangup, endConference. */
  executeCommand(name: string, ...args: unknown[]): void {
    if (this.#disposed) return;
    if (!this.#ready) {
      this.#pending.push([name, ...args]);
      return;
    }
    this.#post(name, args);
  }

  executeCommands(commands: Record<string, unknown>): void {
    for (const [name, arg] of Object.entries(commands)) this.executeCommand(name, ...(Array.isArray(arg) ? arg : [arg]));
  }

  getParticipantsInfo(): ParticipantInfo[] {
    return [...this.#participants.values()].map((p) => ({ ...p }));
  }

  getNumberOfParticipants(): number {
    return this.#participants.size;
  }

  isAudioMuted(): Promise<boolean> {
    return Promise.resolve(this.#audioMuted);
  }

  isVideoMuted(): Promise<boolean> {
    return Promise.resolve(this.#videoMuted);
  }

  getIFrame(): HTMLIFrameElement {
    return this.#iframe;
  }

  /**
   * Removes the iframe and the listeners. A call still open is hung up first: the iframe is hidden at once and
   * removed when the page confirms the leave (at most 3 s), so the server records the leave without waiting
   * for its grace period.
   */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.removeAllListeners();
    if (!this.#inCall) return this.#remove();
    this.#post('hangup', []);
    this.#iframe.style.display = 'none';
    this.#removeTimer = setTimeout(() => this.#remove(), 3000);
  }

  #remove() {
    clearTimeout(this.#removeTimer);
    window.removeEventListener('message', this.#onMessage);
    this.#iframe.remove();
  }

  #post(name: string, args: unknown[]) {
    this.#iframe.contentWindow?.postMessage({ tag: MESSAGE_TAG, apiId: this.#apiId, kind: 'command', name, args }, this.#origin);
  }

  #receive(event: MessageEvent) {
    if (event.origin !== this.#origin || event.source !== this.#iframe.contentWindow) return;
    const msg = event.data as PageToParent;
    if (!msg || msg.tag !== MESSAGE_TAG || msg.apiId !== this.#apiId) return;
    if (msg.kind === 'ready') {
      this.#ready = true;
      for (const [name, ...args] of this.#pending.splice(0)) this.executeCommand(name as string, ...args);
      return;
    }
    if (msg.kind !== 'event' || !msg.name) return;
    const data = msg.data ?? {};
    if (msg.name === 'videoConferenceJoined') this.#inCall = true;
    if (msg.name === 'videoConferenceLeft') {
      this.#inCall = false;
      if (this.#disposed) return this.#remove();
    }
    this.#track(msg.name, data);
    this.emit(msg.name, data);
  }

  /** Keeps what the synchronous getters answer. */
  #track(name: string, data: Record<string, unknown>) {
    const id = data.id as string;
    const displayName = (data.displayName as string) ?? '';
    const info = (pid: string): ParticipantInfo => ({ participantId: pid, displayName, formattedDisplayName: displayName, avatarURL: (data.avatarURL as string) || undefined });
    if (name === 'videoConferenceJoined') {
      this.#participants.set(id, { ...info(id), formattedDisplayName: `${displayName} (me)` });
    } else if (name === 'participantJoined') this.#participants.set(id, info(id));
    else if (name === 'participantLeft') this.#participants.delete(id);
    else if (name === 'displayNameChange') {
      const p = this.#participants.get(id);
      if (p) p.displayName = p.formattedDisplayName = displayName;
    } else if (name === 'videoConferenceLeft') this.#participants.clear();
    else if (name === 'audioMuteStatusChanged') this.#audioMuted = data.muted === true;
    else if (name === 'videoMuteStatusChanged') this.#videoMuted = data.muted === true;
  }
}

(globalThis as unknown as { JitsiMeetExternalAPI: typeof JitsiMeetExternalAPI }).JitsiMeetExternalAPI = JitsiMeetExternalAPI;
