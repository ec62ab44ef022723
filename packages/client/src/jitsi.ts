// Jitsi Meet IFrame API: loading its script once per page, and the types integrators use most.
import { V4HError } from './errors.js';

/** Commands of `JitsiMeetExternalAPI.executeCommand` most integrations use, with their arguments. */
export interface JitsiCommands {
  displayName: [name: string];
  avatarUrl: [url: string];
  email: [email: string];
  subject: [subject: string];
  hangup: [];
  endConference: [];
  toggleAudio: [];
  toggleVideo: [];
  toggleChat: [];
  toggleTileView: [];
  toggleShareScreen: [];
  toggleRaiseHand: [];
  sendChatMessage: [message: string, to?: string];
  setVideoQuality: [height: number];
  startRecording: [options: { mode: 'local' | 'file' | 'stream'; dropboxToken?: string; rtmpStreamKey?: string; youtubeStreamKey?: string }];
  stopRecording: [mode: 'local' | 'file' | 'stream'];
  kickParticipant: [participantId: string];
  muteEveryone: [mediaType?: 'audio' | 'video'];
  password: [password: string];
}

/** Events of the IFrame API most integrations listen to, with their payloads. */
export interface JitsiEvents {
  videoConferenceJoined: { roomName: string; id: string; displayName: string; avatarURL?: string; breakoutRoom?: boolean };
  videoConferenceLeft: { roomName: string };
  readyToClose: Record<string, never>;
  participantJoined: { id: string; displayName?: string };
  participantLeft: { id: string };
  displayNameChange: { id: string; displayname: string };
  audioMuteStatusChanged: { muted: boolean };
  videoMuteStatusChanged: { muted: boolean };
  passwordRequired: Record<string, never>;
  errorOccurred: { error: { name: string; message: string; type: string; isFatal: boolean } };
  recordingStatusChanged: { on: boolean; mode: string; error?: string; message?: string };
  incomingMessage: { from: string; nick: string; message: string; privateMessage: boolean };
  cameraError: { type: string; message: string };
  micError: { type: string; message: string };
  /** The built-in room's own event (not Jitsi's): a link to another participant changed quality. */
  networkQualityChanged: {
    participantId: string;
    state: 'good' | 'warning' | 'bad';
    reasons: Array<'rtt' | 'packetLoss' | 'bitrate' | 'disconnected'>;
    rttMs: number | null;
    packetLoss: number | null;
    bitrateKbps: number | null;
  };
}

type AnyListener = (payload: any) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The `JitsiMeetExternalAPI` instance (`v4h.jApi`): an EventEmitter driving the Jitsi iframe. */
export interface JitsiMeetExternalAPI {
  executeCommand<C extends keyof JitsiCommands>(command: C, ...args: JitsiCommands[C]): void;
  executeCommand(command: string, ...args: unknown[]): void;
  executeCommands(commands: { [C in keyof JitsiCommands]?: JitsiCommands[C] } & Record<string, unknown[]>): void;
  on<E extends keyof JitsiEvents>(event: E, listener: (payload: JitsiEvents[E]) => void): this;
  on(event: string, listener: AnyListener): this;
  addListener<E extends keyof JitsiEvents>(event: E, listener: (payload: JitsiEvents[E]) => void): this;
  addListener(event: string, listener: AnyListener): this;
  off(event: string, listener: AnyListener): this;
  removeListener(event: string, listener: AnyListener): this;
  once(event: string, listener: AnyListener): this;
  getIFrame(): HTMLIFrameElement;
  getParticipantsInfo?(): Array<{ participantId: string; displayName?: string; avatarURL?: string }>;
  getRoomsInfo?(): Promise<unknown>;
  isAudioMuted(): Promise<boolean>;
  isVideoMuted(): Promise<boolean>;
  dispose(): void;
}

/** Jitsi options integrators pass through V4H (`new V4H({ jitsi })`, or the last argument of start/join). */
export interface JitsiEmbedOptions {
  /** Overrides of Jitsi's config.js, e.g. `{ prejoinConfig: { enabled: false }, startWithVideoMuted: true }`. */
  configOverwrite?: Record<string, unknown>;
  /** Overrides of Jitsi's interface_config.js. */
  interfaceConfigOverwrite?: Record<string, unknown>;
  /** UI language, e.g. `'pt-BR'`. */
  lang?: string;
  /** Preferred devices by label: `{ audioInput, audioOutput, videoInput }`. */
  devices?: { audioInput?: string; audioOutput?: string; videoInput?: string };
}

/** Options of the `JitsiMeetExternalAPI` constructor. */
export interface JitsiOptions {
  roomName: string;
  parentNode: Element;
  width: number | string;
  height: number | string;
  jwt?: string;
  userInfo?: { displayName?: string; email?: string };
  configOverwrite?: Record<string, unknown>;
  interfaceConfigOverwrite?: Record<string, unknown>;
  lang?: string;
  devices?: { audioInput?: string; audioOutput?: string; videoInput?: string };
  onload?: () => void;
}

export type JitsiConstructor = new (domain: string, options: JitsiOptions) => JitsiMeetExternalAPI;

// One load per script URL per page; a failed load is forgotten so that a later call can try again.
const loads = new Map<string, Promise<JitsiConstructor>>();
const failures = new Map<string, number>();

/** Loads `scriptUrl` (Jitsi's external_api.js) once and resolves its `JitsiMeetExternalAPI`. */
export function loadJitsi(scriptUrl: string, timeoutMs: number): Promise<JitsiConstructor> {
  let load = loads.get(scriptUrl);
  if (!load) {
    // A retry gets its own URL: the browser would otherwise queue it behind a request that is still hanging.
    const failed = failures.get(scriptUrl) ?? 0;
    load = inject(failed ? `${scriptUrl}${scriptUrl.includes('?') ? '&' : '?'}v4h_retry=${failed}` : scriptUrl, timeoutMs);
    loads.set(scriptUrl, load);
    load.catch(() => {
      loads.delete(scriptUrl);
      failures.set(scriptUrl, failed + 1);
    });
  }
  return load;
}

function inject(scriptUrl: string, timeoutMs: number): Promise<JitsiConstructor> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    const fail = (why: string) => {
      clearTimeout(timer);
      script.remove();
      reject(new V4HError('jitsi_unavailable', `Jitsi script ${scriptUrl} ${why}`));
    };
    const timer = setTimeout(() => fail(`did not load within ${timeoutMs} ms`), timeoutMs);
    script.async = true;
    script.src = scriptUrl;
    script.onerror = () => fail('could not be loaded');
    script.onload = () => {
      clearTimeout(timer);
      const api = (globalThis as { JitsiMeetExternalAPI?: JitsiConstructor }).JitsiMeetExternalAPI;
      if (typeof api === 'function') resolve(api);
      else fail('loaded but defines no JitsiMeetExternalAPI');
    };
    document.head.appendChild(script);
  });
}
