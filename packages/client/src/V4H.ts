// The V4H client: the seed's API (login … getGuestUrl, jApi) over the V4H server and the Jitsi IFrame API.
import { Call, type Embed } from './call.js';
import { V4HError, invalidArgument, isV4HError } from './errors.js';
import { Emitter, type V4HEventName, type V4HListener } from './events.js';
import { HttpClient, type FetchLike } from './http.js';
import { followConference } from './server-events.js';
import { loadJitsi, type JitsiMeetExternalAPI, type JitsiEmbedOptions } from './jitsi.js';
import { TokenManager, memoryTokenStore, sessionTokenStore, type TokenAnswer, type TokenStore } from './tokens.js';
import { checkEmbedOptions, checkName, checkParentNode, checkSessionId, checkSize, checkString, checkUrl, expiryOf, given } from './checks.js';
import { loadFeatures } from './features-load.js';
import type * as Features from './features/index.js';
import type { FeatureContext } from './features/context.js';
import type { ConferenceDetails, JoinWaiting, VisitState } from '@v4h/protocol';
import type { WaitToJoinOptions } from './features/waiting.js';

/** What joinConference adds to a start's arguments: the conference password, and the wait in a waiting room. */
interface JoinExtras {
  password?: string;
  wait?: WaitToJoinOptions;
}

export type { JoinPolicy, RequestConferenceOptions, ListConferencesOptions, ConferenceList } from './features/conferences.js';

/** Options of `new V4H(options)`. */
export interface V4HOptions {
  /** V4H server URL. Browser default: the origin v4h.js was loaded from, else the page's. Required in Node. */
  baseUrl?: string;
  /** A WHATWG fetch (default: the global one). */
  fetch?: FetchLike;
  /**
   * Node only (server-to-server): an organisation's API key, sent on every request instead of a user's tokens.
   * Refused in a browser: a key in a web page is a leak.
   */
  apiKey?: string;
  /** Where tokens live: 'memory' (default), 'session' (sessionStorage) or your own store. */
  tokenStore?: 'memory' | 'session' | TokenStore;
  /** Renew the access token shortly before it expires (default true). */
  autoRefresh?: boolean;
  /** How long to wait for Jitsi's external_api.js, in ms (default 15000). */
  jitsiTimeout?: number;
  /**
   * Passed to every `new JitsiMeetExternalAPI(…)`: `configOverwrite`, `interfaceConfigOverwrite`, `lang`, `devices`.
   * A start/join call's own options win over these. Default config: `{ disableDeepLinking: true }`.
   */
  jitsi?: JitsiEmbedOptions;
}

/** Options of `joinConference`: the Jitsi embed options, the conference password, and the wait in a waiting room. */
export interface JoinConferenceOptions extends JitsiEmbedOptions {
  /** SESSIONPWD: the conference password. */
  password?: string;
  /** A conference whose users wait (waitingRoomForUsers): each state of the wait (also emitted as `visitStateChanged`). */
  onState?: (state: { sessionId: string; state: VisitState; reason?: string; hostName: string }) => void;
  /** Aborting a wait in the waiting room leaves it (joinConference rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** The seed's conference record: the wire's type (@v4h/protocol). */
export type { ConferenceDetails };

// Captured while the script runs: afterwards document.currentScript is null.
const loadedFrom: string | undefined = (() => {
  try {
    const src = (globalThis.document?.currentScript as HTMLScriptElement | null)?.src;
    return src ? new URL(src).origin : undefined;
  } catch {
    return undefined;
  }
})();

/**
 * The methods whose code is loaded on first use (features/index.ts says how to add one): each is the feature function
 * of the same name, called with the instance's FeatureContext first.
 */
const FEATURE_METHODS = [
  'requestConference',
  'getGuestUrl',
  'listConferences',
  'getManifest',
  'verifyConference',
  'uploadRecording',
  'shareFile',
  'listFiles',
  'createJoinLink',
  'requestConsent',
  'answerConsent',
  'startRecording',
  'stopRecording',
  'watchWaitingRoom',
  'listWaiting',
  'admit',
  'deny',
  'allowAgain',
  'joinAsGuest',
  'precheck',
] as const satisfies ReadonlyArray<keyof typeof Features>;

type FeatureMethods = {
  [K in keyof Pick<typeof Features, (typeof FEATURE_METHODS)[number]>]: (typeof Features)[K] extends (ctx: FeatureContext, ...args: infer A) => infer R
    ? (...args: A) => R
    : never;
};

// The feature methods, declared on the class's instance type (installed on its prototype in the static block below).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- the class installs exactly these methods; the interface only adds them to its type
export interface V4H extends FeatureMethods {}

/**
 * Embeds V4H video consultations.
 * @example
 * const v4h = new V4H();
 * await v4h.login('dr.ana', password);
 * const id = await v4h.requestConference();
 * await v4h.startConference(id, document.querySelector('#call'), '100%', 480, 'Dr. Ana');
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class V4H {
  static {
    for (const name of FEATURE_METHODS)
      (V4H.prototype as unknown as Record<string, unknown>)[name] = function (this: V4H, ...args: unknown[]) {
        return loadFeatures(this.#http).then((features) => (features[name] as (ctx: FeatureContext, ...args: unknown[]) => unknown)(this.#context(), ...args));
      };
  }

  readonly #http: HttpClient;
  readonly #tokens: TokenManager;
  readonly #events = new Emitter();
  readonly #fetch: FetchLike;
  readonly #jitsiTimeout: number;
  readonly #jitsiOptions: JitsiEmbedOptions;
  #call: Call | null = null;
  /** Start/join calls run one after another (a double click, a component rendered twice). */
  #opening: Promise<unknown> = Promise.resolve();

  constructor(options: V4HOptions = {}) {
    const baseUrl = options.baseUrl ?? loadedFrom ?? globalThis.location?.origin;
    if (!baseUrl) throw invalidArgument('baseUrl is required outside a browser');
    checkUrl(baseUrl, 'baseUrl');
    const fetchFn = options.fetch ?? globalThis.fetch?.bind(globalThis);
    if (typeof fetchFn !== 'function') throw invalidArgument('no fetch available: pass options.fetch');
    this.#fetch = fetchFn;
    this.#jitsiTimeout = options.jitsiTimeout ?? 15_000;
    this.#jitsiOptions = given(options.jitsi) ? checkEmbedOptions(options.jitsi, 'options.jitsi') : {};
    const store = options.tokenStore === 'session' ? sessionTokenStore() : typeof options.tokenStore === 'object' ? options.tokenStore : memoryTokenStore();
    this.#tokens = new TokenManager({
      store,
      autoRefresh: options.autoRefresh ?? true,
      renew: (refreshToken) => this.#http.request<TokenAnswer>('POST', '/api/auth/refresh', { body: { refreshToken }, auth: false }),
      onExpired: (error) => this.#events.emit('authExpired', { error }),
    });
    const key = options.apiKey;
    // A page's scripts, its extensions and anyone at its keyboard can read a key.
    if (key && globalThis.document) throw invalidArgument('apiKey in a web page leaks it');
    this.#http = new HttpClient(baseUrl, fetchFn, key ? ({ accessToken: async () => key, canRefresh: () => !1 } as unknown as TokenManager) : this.#tokens);
  }

  /** Signs in; later calls use (and renew) the tokens. */
  async login(username: string, password: string): Promise<{ accessToken: string; refreshToken: string }> {
    checkString(username, 'username');
    checkString(password, 'password');
    const answer = await this.#http.request<TokenAnswer>('POST', '/api/auth/login', { body: { username, password }, auth: false });
    this.#tokens.adopt(answer.accessToken, answer.refreshToken, Date.now() + answer.expiresIn * 1000);
    return { accessToken: answer.accessToken, refreshToken: answer.refreshToken };
  }

  /**
   * Signs in with a token from elsewhere: an access token is checked with the server and adopted (it cannot be
   * renewed); a refresh token is renewed and the new pair adopted. Resolves 'ok'.
   */
  async loginWithToken(accessToken: string): Promise<'ok'> {
    checkString(accessToken, 'accessToken');
    let answer: { expiresAt?: string | number };
    try {
      answer = await this.#http.request<{ expiresAt?: string | number }>('GET', '/api/auth/session', { token: accessToken });
    } catch (error) {
      if (!isV4HError(error) || error.status !== 401) throw error;
      // Not an access token the server takes: perhaps a refresh token (the seed names both as the input).
      const renewed = await this.#http
        .request<TokenAnswer>('POST', '/api/auth/refresh', { body: { refreshToken: accessToken }, auth: false })
        .catch(() => Promise.reject(error));
      this.#tokens.adopt(renewed.accessToken, renewed.refreshToken, Date.now() + renewed.expiresIn * 1000);
      return 'ok';
    }
    this.#tokens.adopt(accessToken, null, expiryOf(accessToken, answer.expiresAt));
    return 'ok';
  }

  /** Renews the session with the given or the stored refresh token; resolves the new access token. */
  async refreshToken(refreshToken?: string): Promise<string> {
    if (!given(refreshToken)) return this.#tokens.refresh();
    checkString(refreshToken, 'refreshToken');
    return this.#tokens.refresh(refreshToken);
  }

  /**
   * Owner: starts the call in `parentNode`; resolves 'ok' once the iframe is there. Optional arguments may be
   * omitted, `''` or `null`; `options` carries Jitsi's `configOverwrite`, `interfaceConfigOverwrite`, `lang`, `devices`.
   * Jitsi's own errors afterwards (a refused token, a room password) arrive as `error` events. Calling it again for
   * the call already open resolves 'ok' and leaves that call alone; for another conference, the open call is left first.
   * @example
   * await v4h.startConference(id, el, '100%', 480, 'Dr. Ana', '', { lang: 'pt-BR', configOverwrite: { prejoinConfig: { enabled: false } } });
   */
  startConference(
    sessionId: string,
    parentNode: Element,
    width?: number | string | null,
    height?: number | string | null,
    name?: string | null,
    avatarUrl?: string | null,
    options?: JitsiEmbedOptions | null,
  ): Promise<'ok'> {
    return this.#open('start', sessionId, parentNode, width, height, name, avatarUrl, options);
  }

  /**
   * Joins a started call in `parentNode`; resolves 'ok' once the iframe is there. Arguments as {@link V4H.startConference};
   * `options.password` is the conference password (join policy SESSIONPWD). When the owner makes users wait
   * (`requestConference(id, { waitingRoomForUsers: true })`), it knocks and waits until they admit you
   * (`visitStateChanged` events and `options.onState`: `waiting`, `admitted`, …), then embeds the call; it rejects with
   * `forbidden` when the owner denies (message: their reason) and `conference_ended` when the conference is over.
   * @example
   * await v4h.joinConference(id, el, '100%', 480, 'Dr. Bruno', '', { onState: ({ state, hostName }) => show(state, hostName) });
   */
  joinConference(
    sessionId: string,
    parentNode: Element,
    width?: number | string | null,
    height?: number | string | null,
    name?: string | null,
    avatarUrl?: string | null,
    options?: JoinConferenceOptions | null,
  ): Promise<'ok'> {
    const { password, onState, signal, ...embed } = given(options) && typeof options === 'object' ? options : ({} as JoinConferenceOptions);
    if (password !== undefined) checkString(password, 'password');
    if (onState !== undefined && typeof onState !== 'function') throw invalidArgument('options.onState must be a function');
    return this.#open('join', sessionId, parentNode, width, height, name, avatarUrl, given(options) ? embed : options, { password, wait: { onState, signal } });
  }

  /** Calls `callback(sessionId)` once each time a call is over for this user. Returns 'ok'. */
  registerEndedListener(callback: (sessionId: string) => void): 'ok' {
    if (typeof callback !== 'function') throw invalidArgument('callback must be a function');
    this.#events.on('ended', ({ sessionId }) => callback(sessionId));
    return 'ok';
  }

  /** The conference record: `{ sessionId, owner, created, ended, state, urlStorage, hash, hashType, DLTId, DLTType }`. */
  async getConference(sessionId: string): Promise<ConferenceDetails> {
    checkSessionId(sessionId);
    return this.#http.request('GET', `/api/conferences/${encodeURIComponent(sessionId)}`);
  }

  /** Owner: ends the conference for everyone (on the server and in Jitsi); defaults to the current call. */
  async endConference(sessionId = this.#call?.sessionId): Promise<ConferenceDetails> {
    checkSessionId(sessionId);
    const details = await this.#http.request<ConferenceDetails>('POST', `/api/conferences/${encodeURIComponent(sessionId)}/end`);
    const call = this.#call;
    // Jitsi gets the end command and time to act on it before its iframe goes (hangUp waits at most ~3 s).
    if (call?.sessionId === sessionId) await call.hangUp('end');
    return details;
  }

  /** Leaves the current call (the others stay). Resolves 'ok', also when there is none. */
  async leaveConference(): Promise<'ok'> {
    await this.#call?.hangUp('leave');
    return 'ok';
  }

  /** Leaves any call, revokes the session on the server and forgets the tokens. */
  async logout(): Promise<'ok'> {
    await this.leaveConference();
    const refreshToken = this.#tokens.current()?.refreshToken;
    this.#tokens.clear();
    if (refreshToken) await this.#http.request('POST', '/api/auth/logout', { body: { refreshToken }, auth: false }).catch(() => {});
    return 'ok';
  }

  /** The Jitsi Meet IFrame API object of the current call, or null. */
  get jApi(): JitsiMeetExternalAPI | null {
    return this.#call?.api ?? null;
  }

  /** Subscribes to an event (ended, joined, left, participantJoined, participantLeft, error, authExpired). */
  on<E extends V4HEventName>(event: E, listener: V4HListener<E>): this {
    this.#events.on(event, listener);
    return this;
  }

  off<E extends V4HEventName>(event: E, listener: V4HListener<E>): this {
    this.#events.off(event, listener);
    return this;
  }

  /** What a feature gets (features/context.ts): a fresh object, so no feature keeps another's state. */
  #context(): FeatureContext {
    return {
      http: this.#http,
      tokens: this.#tokens,
      fetch: this.#fetch,
      events: this.#events,
      call: () => this.#call,
      embed: (...args) => this.#embed(...args),
    };
  }

  #open(...args: Parameters<V4H['startConference']> extends [...infer All] ? ['start' | 'join', ...All, join?: JoinExtras] : never): Promise<'ok'> {
    const sessionId = args[1];
    // Serialised: a second call waits for the first, then finds its call open (same conference) or leaves it.
    const opened = this.#opening.then(() => {
      if (this.#call && !this.#call.over && this.#call.sessionId === sessionId) return 'ok' as const;
      return this.#openNow(...args);
    });
    this.#opening = opened.catch(() => {});
    return opened;
  }

  async #openNow(
    action: 'start' | 'join',
    sessionId: string,
    parentNode: Element,
    width?: number | string | null,
    height?: number | string | null,
    name?: string | null,
    avatarUrl?: string | null,
    options?: JitsiEmbedOptions | null,
    { password, wait }: JoinExtras = {},
  ): Promise<'ok'> {
    checkSessionId(sessionId);
    checkParentNode(parentNode);
    checkSize(width, 'width', 0);
    checkSize(height, 'height', 0);
    // '' and null mean "not given": the server falls back to the user's name, and there is no avatar.
    if (given(name)) checkName(name, 'name');
    if (given(avatarUrl)) checkUrl(avatarUrl, 'avatarUrl');
    if (given(options)) checkEmbedOptions(options, 'options');
    const body = { ...(given(name) ? { displayName: name } : {}), ...(given(avatarUrl) ? { avatarUrl } : {}), ...(password ? { password } : {}) };
    const request = () => this.#http.request<Embed | JoinWaiting>('POST', `/api/conferences/${encodeURIComponent(sessionId)}/${action}`, { body });
    let embed = await request();
    // 202: the owner makes users wait (features/waiting.ts) until they admit this one.
    if (!('roomName' in embed)) embed = await (await loadFeatures(this.#http)).waitToJoin(this.#context(), embed, request, wait);
    return this.#embed(embed, parentNode, width, height, options, avatarUrl);
  }

  /** Embeds the call the server described (FeatureContext.embed): start/join, and features such as a guest's admission. */
  async #embed(
    embed: Embed,
    parentNode: Element,
    width?: number | string | null,
    height?: number | string | null,
    options?: JitsiEmbedOptions | null,
    avatarUrl?: string | null,
  ): Promise<'ok'> {
    checkParentNode(parentNode);
    const size = { width: checkSize(width, 'width', 640), height: checkSize(height, 'height', 480) };
    const jitsi = mergeEmbedOptions(this.#jitsiOptions, given(options) ? checkEmbedOptions(options, 'options') : {});
    const JitsiAPI = await loadJitsi(embed.scriptUrl, this.#jitsiTimeout);
    // Another conference is open: hang up there first (its camera and microphone are released), never hide it live.
    await this.leaveConference();
    let api: JitsiMeetExternalAPI;
    try {
      api = new JitsiAPI(embed.domain, {
        roomName: embed.roomName,
        parentNode,
        ...size,
        ...(embed.jwt ? { jwt: embed.jwt } : {}),
        // The server's name, not `name`: in Jitsi modes it carries the account, and the token has the same.
        userInfo: { displayName: embed.displayName },
        ...jitsi,
      });
    } catch (cause) {
      throw new V4HError('jitsi_unavailable', `JitsiMeetExternalAPI failed: ${(cause as Error)?.message ?? cause}`, 0, cause);
    }
    // Ends reached on the server (the owner elsewhere, REST, max duration, idle timeout) hang this call up too.
    let unfollow = () => {};
    // Recordings started and not yet stored: a recording is stored after the call (the last chunks, Jibri's upload),
    // so the channel stays open for its recordingStored, up to RECORDING_WAIT_MS.
    let unstored = 0;
    let over = false;
    let waitForStored: ReturnType<typeof setTimeout> | undefined;
    const unfollowWhenStored = () => {
      if (!over || unstored > 0) return;
      clearTimeout(waitForStored);
      unfollow();
    };
    const call = new Call({
      embed,
      api,
      avatarUrl: given(avatarUrl) ? avatarUrl : undefined,
      presenceUrl: this.#http.url(`/api/conferences/${encodeURIComponent(embed.sessionId)}/presence`),
      fetch: this.#fetch,
      events: this.#events,
      onEnd: (ended) => {
        over = true;
        // Unref'd where timers have it (Node): a recording still to come does not keep a script running.
        if (unstored > 0) (waitForStored = setTimeout(unfollow, RECORDING_WAIT_MS) as { unref?: () => void } & ReturnType<typeof setTimeout>).unref?.();
        unfollowWhenStored();
        if (this.#call === ended) this.#call = null;
      },
    });
    this.#call = call;
    // The owner hears guests knock while in the call (features/waiting.ts).
    if (embed.moderator) this.watchWaitingRoom(embed.sessionId).catch(() => {});
    unfollow = followConference(this.#http.url(`/api/conferences/${encodeURIComponent(embed.sessionId)}/events`), this.#fetch, this.#tokens, (type, event) => {
      if (type === 'ended') void call.hangUp('ended');
      // Consent and recording events become the SDK's (features/recording.ts).
      else if (/^(consent_|recording_|file_stored)/.test(type)) {
        if (type === 'recording_started') unstored++;
        // Stored, or never to be (Jitsi could not record it).
        const stored =
          (type === 'file_stored' && event.data.kind === 'recording') || (type === 'recording_stopped' && event.data.reason === 'recorder_unavailable');
        void loadFeatures(this.#http)
          .then((f) => f.recordingEvent(this.#context(), embed.sessionId, type, event))
          .catch(() => {})
          .finally(() => stored && (unstored--, unfollowWhenStored()));
      }
    });
    if (!parentNode.contains(api.getIFrame?.() ?? null)) {
      call.end();
      throw new V4HError('jitsi_unavailable', 'the Jitsi iframe did not appear in parentNode');
    }
    return 'ok';
  }
}

/** How long after a call the SDK still waits for a recording of it to be stored (recordingStored). */
const RECORDING_WAIT_MS = 30 * 60e3;

// Phones opening Jitsi would otherwise be pushed to install its app instead of joining in the browser.
const DEFAULT_CONFIG: Record<string, unknown> = { disableDeepLinking: true };

function mergeEmbedOptions(instance: JitsiEmbedOptions, call: JitsiEmbedOptions): JitsiEmbedOptions {
  return {
    ...instance,
    ...call,
    configOverwrite: { ...DEFAULT_CONFIG, ...instance.configOverwrite, ...call.configOverwrite },
    ...(instance.interfaceConfigOverwrite || call.interfaceConfigOverwrite
      ? { interfaceConfigOverwrite: { ...instance.interfaceConfigOverwrite, ...call.interfaceConfigOverwrite } }
      : {}),
    ...(instance.devices || call.devices ? { devices: { ...instance.devices, ...call.devices } } : {}),
  };
}
