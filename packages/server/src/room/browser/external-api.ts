// /external_api.js of the built-in room: a JitsiMeetExternalAPI with the surface integrators use on Jitsi's.
import { HASH, MESSAGE_TAG, SUPPORTED_COMMANDS, UNSUPPORTED_METHODS, type PageToParent } from './messages.js';

type Listener = (...args: unknown[]) => void;

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

/** A device as getAvailableDevices lists it (MediaDeviceInfo's fields). */
interface MediaDeviceInfoLike {
  deviceId: string;
  groupId: string;
  kind: string;
  label: string;
}

// The protocol the script was loaded with: the room is served from the same server (http locally, https deployed).
const scriptSrc = (document.currentScript as HTMLScriptElement | null)?.src;
const scriptProtocol = scriptSrc ? new URL(scriptSrc).protocol : 'https:';
let nextApiId = 0;

/**
 * Jitsi's parseSizeParam: numbers are pixels, strings must end in a CSS length (px, em, pt, %, vh, vw and their d/l/s
 * variants); digits-only strings are pixels too. Jitsi silently ignores anything else; the room refuses it instead.
 */
function cssSize(value: number | string | undefined | null, name: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return `${value}px`;
  if (typeof value === 'string' && /^\d+$/.test(value)) return `${value}px`;
  if (typeof value === 'string' && /([0-9]*\.?[0-9]+)(em|pt|px|((d|l|s)?v)(h|w)|%)$/.test(value)) return value;
  throw Object.assign(new TypeError(`${name} must be a number of pixels or a CSS length in px, em, pt, %, vh or vw, got ${JSON.stringify(value)}`), {
    code: 'invalid_argument',
  });
}

const hashValue = (key: string, value: unknown) => `${encodeURIComponent(key)}=${encodeURIComponent(JSON.stringify(value))}`;

class JitsiMeetExternalAPI {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #iframe: HTMLIFrameElement;
  readonly #origin: string;
  readonly #apiId = nextApiId++;
  readonly #participants = new Map<string, ParticipantInfo>();
  readonly #pending: unknown[][] = [];
  readonly #requests = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  #nextRequestId = 0;
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
    // `allow` alone: with `allowfullscreen` too, Chromium warns on every integrator page that `allow` takes precedence.
    iframe.allow = 'fullscreen; camera; microphone; display-capture; autoplay';
    iframe.title = 'Video call';
    iframe.style.border = '0';
    iframe.style.width = cssSize(options.width, 'width') ?? '100%';
    iframe.style.height = cssSize(options.height, 'height') ?? '720px';
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

  /** Jitsi's command names (SUPPORTED_COMMANDS); another name logs "Not supported command name." and does nothing. */
  executeCommand(name: string, ...args: unknown[]): void {
    if (this.#disposed) return;
    if (!(SUPPORTED_COMMANDS as readonly string[]).includes(name)) return console.error('Not supported command name.', name);
    if (!this.#ready) {
      this.#pending.push([name, ...args]);
      return;
    }
    this.#post(name, args);
  }

  executeCommands(commands: Record<string, unknown>): void {
    for (const [name, arg] of Object.entries(commands)) this.executeCommand(name, ...(Array.isArray(arg) ? (arg as unknown[]) : [arg]));
  }

  /** Jitsi's method form of the command: mode `file` records in the owner's browser (docs/room.md, Recording). */
  startRecording(options: { mode: string }): void {
    this.executeCommand('startRecording', options);
  }

  stopRecording(mode: string): void {
    this.executeCommand('stopRecording', mode);
  }

  getParticipantsInfo(): ParticipantInfo[] {
    return [...this.#participants.values()].map((p) => ({ ...p }));
  }

  getNumberOfParticipants(): number {
    return this.#participants.size;
  }

  /** A participant's name, as the call shows it (undefined for an unknown id), like Jitsi's. */
  getDisplayName(participantId: string): string {
    return this.#participants.get(participantId)?.displayName as string;
  }

  /** A participant's avatar URL (undefined when none), like Jitsi's. */
  getAvatarURL(participantId: string): string {
    return this.#participants.get(participantId)?.avatarURL as string;
  }

  /** Jitsi's shape: `{ rooms: [{ isMainRoom, id, jid, participants: [{ id, jid, role, displayName, avatarUrl }] }] }` (no breakout rooms here). */
  getRoomsInfo(): Promise<{
    rooms: Array<{
      isMainRoom: boolean;
      id: string;
      jid: string;
      participants: Array<{ id: string; jid: string; role: string; displayName: string; avatarUrl?: string }>;
    }>;
  }> {
    return this.#request('getRoomsInfo');
  }

  /** Whether this participant sees everyone in tiles (the default) rather than one person large. */
  isTileViewOn(): Promise<boolean> {
    return this.#request('isTileViewOn');
  }

  /** The page's own state (a microphone that could not start counts as muted); before the page is up, the start option. */
  isAudioMuted(): Promise<boolean> {
    return this.#ready && !this.#disposed ? this.#request<boolean>('isAudioMuted') : Promise.resolve(this.#audioMuted);
  }

  isVideoMuted(): Promise<boolean> {
    return this.#ready && !this.#disposed ? this.#request<boolean>('isVideoMuted') : Promise.resolve(this.#videoMuted);
  }

  /** Whether this participant is sending its screen. */
  isSharingScreen(): Promise<boolean> {
    return this.#ready && !this.#disposed ? this.#request<boolean>('isSharingScreen') : Promise.resolve(false);
  }

  /** `{ audioInput, audioOutput, videoInput }`, each a list of `{ deviceId, groupId, kind, label }` (as Jitsi's). */
  getAvailableDevices(): Promise<Record<'audioInput' | 'audioOutput' | 'videoInput', MediaDeviceInfoLike[]>> {
    return this.#request('getAvailableDevices');
  }

  /** The devices in use: `{ audioInput, audioOutput, videoInput }` (undefined where none). */
  getCurrentDevices(): Promise<Record<'audioInput' | 'audioOutput' | 'videoInput', MediaDeviceInfoLike | undefined>> {
    return this.#request('getCurrentDevices');
  }

  /** `'input'` (default) or `'output'`: whether the page can switch that kind of device. */
  isDeviceChangeAvailable(deviceType?: string): Promise<boolean> {
    return this.#request('isDeviceChangeAvailable', [deviceType]);
  }

  isDeviceListAvailable(): Promise<boolean> {
    return this.#request('isDeviceListAvailable');
  }

  isMultipleAudioInputSupported(): Promise<boolean> {
    return this.#request('isMultipleAudioInputSupported');
  }

  /** Jitsi's lookup: by id when given, else by label. Resolves true when switched. */
  setAudioInputDevice(label?: string, deviceId?: string): Promise<boolean> {
    return this.#request('setDevice', ['audioInput', label, deviceId]);
  }

  setVideoInputDevice(label?: string, deviceId?: string): Promise<boolean> {
    return this.#request('setDevice', ['videoInput', label, deviceId]);
  }

  setAudioOutputDevice(label?: string, deviceId?: string): Promise<boolean> {
    return this.#request('setDevice', ['audioOutput', label, deviceId]);
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
    for (const waiting of this.#requests.values()) waiting.reject(new Error('the API was disposed'));
    this.#requests.clear();
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

  #post(name: string, args: unknown[], kind: 'command' | 'request' = 'command', id?: number) {
    this.#iframe.contentWindow?.postMessage({ tag: MESSAGE_TAG, apiId: this.#apiId, kind, name, args, id }, this.#origin);
  }

  /** Asks the page; waits for it to be up. Rejects once disposed. */
  #request<T>(name: string, args: unknown[] = []): Promise<T> {
    if (this.#disposed) return Promise.reject(new Error('the API was disposed'));
    const id = this.#nextRequestId++;
    return new Promise<T>((resolve, reject) => {
      this.#requests.set(id, { resolve, reject });
      if (this.#ready) this.#post(name, args, 'request', id);
      else this.#pending.push([{ request: id, name }, ...args]);
    });
  }

  #receive(event: MessageEvent) {
    if (event.origin !== this.#origin || event.source !== this.#iframe.contentWindow) return;
    const msg = event.data as PageToParent;
    if (!msg || msg.tag !== MESSAGE_TAG || msg.apiId !== this.#apiId) return;
    if (msg.kind === 'ready') {
      this.#ready = true;
      for (const [name, ...args] of this.#pending.splice(0)) {
        if (typeof name === 'object' && name) {
          const r = name as { request: number; name: string };
          this.#post(r.name, args, 'request', r.request);
        } else this.executeCommand(name as string, ...args);
      }
      return;
    }
    if (msg.kind === 'response' && typeof msg.id === 'number') {
      const waiting = this.#requests.get(msg.id);
      this.#requests.delete(msg.id);
      if (msg.error !== undefined) waiting?.reject(new Error(msg.error));
      else waiting?.resolve(msg.result);
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
    const info = (pid: string): ParticipantInfo => ({
      participantId: pid,
      displayName,
      formattedDisplayName: displayName,
      avatarURL: (data.avatarURL as string) || undefined,
    });
    if (name === 'videoConferenceJoined') {
      this.#participants.set(id, { ...info(id), formattedDisplayName: `${displayName} (me)` });
    } else if (name === 'participantJoined') this.#participants.set(id, info(id));
    else if (name === 'participantLeft') this.#participants.delete(id);
    else if (name === 'displayNameChange') {
      const p = this.#participants.get(id);
      if (p) p.displayName = p.formattedDisplayName = displayName;
    } else if (name === 'videoConferenceLeft') this.#participants.clear();
    else if (name === 'avatarChanged') {
      const p = this.#participants.get(id);
      if (p) p.avatarURL = (data.avatarURL as string) || undefined;
    } else if (name === 'audioMuteStatusChanged') this.#audioMuted = data.muted === true;
    else if (name === 'videoMuteStatusChanged') this.#videoMuted = data.muted === true;
  }
}

for (const name of UNSUPPORTED_METHODS) {
  // Integrators' code written for Jitsi keeps running: a method we lack logs, as an unknown command does on Jitsi.
  Object.defineProperty(JitsiMeetExternalAPI.prototype, name, {
    value: () => console.error('Not supported command name.', name),
    configurable: true,
    writable: true,
  });
}

export type { JitsiMeetExternalAPI };
(globalThis as unknown as { JitsiMeetExternalAPI: typeof JitsiMeetExternalAPI }).JitsiMeetExternalAPI = JitsiMeetExternalAPI;
