// The V4H client: the seed's API (login … getGuestUrl, jApi) over the V4H server and the Jitsi IFrame API.
import { Call, type Embed } from './call.js';
import { V4HError, invalidArgument, isV4HError } from './errors.js';
import { Emitter, type V4HEventName, type V4HListener } from './events.js';
import { HttpClient, type FetchLike } from './http.js';
import { followConference } from './server-events.js';
import { loadJitsi, type JitsiMeetExternalAPI, type JitsiEmbedOptions } from './jitsi.js';
import { TokenManager, memoryTokenStore, sessionTokenStore, type TokenAnswer, type TokenStore } from './tokens.js';
import { checkEmbedOptions, checkName, checkParentNode, checkSessionId, checkSize, checkString, checkUrl, expiryOf, given } from './checks.js';
import type { StoredFile, UploadBody, UploadOptions } from './files.js';
import { loadFiles } from './files-load.js';
import { fetchManifest, verifyManifestBundle, type ManifestBundle, type VerificationReport, type VerifyConferenceOptions } from './records.js';
import type { ConferenceDetails, JoinPolicy } from '@v4h/protocol';

/** Options of `new V4H(options)`. */
export interface V4HOptions {
  /** V4H server URL. Browser default: the origin v4h.js was loaded from, else the page's. Required in Node. */
  baseUrl?: string;
  /** A WHATWG fetch (default: the global one). */
  fetch?: FetchLike;
  /**
   * Node only (server-to-server): an organisation's API key, sent on every request instead of a user's tokens. Refused
   * in a browser: a key in a web page is a leak.
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

/** Who may join a conference: see `requestConference`. */
export type { JoinPolicy };

/** Options of `requestConference`. */
export interface RequestConferenceOptions {
  /** ORG (default: the owner's colleagues; every user on an install without organisations), RESTRICT, SESSIONPWD or PUBLIC (any account). */
  joinPolicy?: JoinPolicy;
  /** RESTRICT: the usernames who may join. */
  users?: string[];
  /** SESSIONPWD: the password joiners give to `joinConference` (the server keeps only its hash). */
  password?: string;
  /** With an API key (Node): the username of the owner, a member of the key's organisation. */
  owner?: string;
}

/** Options of `joinConference`: the Jitsi embed options, and the conference password. */
export interface JoinConferenceOptions extends JitsiEmbedOptions {
  /** SESSIONPWD: the conference password. */
  password?: string;
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
 * Embeds V4H video consultations.
 * @example
 * const v4h = new V4H();
 * await v4h.login('dr.ana', password);
 * const id = await v4h.requestConference();
 * await v4h.startConference(id, document.querySelector('#call'), '100%', 480, 'Dr. Ana');
 */
export class V4H {
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
    // A page's scripts, extensions and anyone at the keyboard can read it.
    if (key !== undefined && globalThis.document) throw invalidArgument('apiKey in a web page leaks it: use it on a server only');
    this.#http = new HttpClient(baseUrl, fetchFn, key === undefined ? this.#tokens : { accessToken: async () => key, canRefresh: () => !1, refresh: async () => key });
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
   * Creates a conference (or claims the given id); resolves its session id. An id another user holds fails with
   * `conflict` ("taken"), one of yours that has ended with `conference_ended`.
   * @example
   * const id = await v4h.requestConference(undefined, { joinPolicy: 'RESTRICT', users: ['dr.bruno'] });
   */
  async requestConference(sessionId?: string, options: RequestConferenceOptions = {}): Promise<string> {
    // '' or null is "not given" (the seed's example passes an empty input field): a new conference.
    if (given(sessionId)) checkSessionId(sessionId);
    if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
    const { joinPolicy, users, password, owner } = options;
    if (joinPolicy !== undefined && !['ORG', 'RESTRICT', 'SESSIONPWD', 'PUBLIC'].includes(joinPolicy))
      throw invalidArgument("joinPolicy must be 'ORG', 'RESTRICT', 'SESSIONPWD' or 'PUBLIC'");
    if (users !== undefined && (!Array.isArray(users) || users.some((u) => typeof u !== 'string' || !u)))
      throw invalidArgument('users must be an array of usernames');
    if (password !== undefined) checkString(password, 'password');
    // JSON leaves out the members that are undefined.
    const body = { sessionId: given(sessionId) ? sessionId : undefined, joinPolicy, users, password, owner };
    return (await this.#http.request<{ sessionId: string }>('POST', '/api/conferences', { body })).sessionId;
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
   * `options.password` is the conference password (join policy SESSIONPWD).
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
    const { password, ...embed } = given(options) && typeof options === 'object' ? options : ({} as JoinConferenceOptions);
    if (password !== undefined) checkString(password, 'password');
    return this.#open('join', sessionId, parentNode, width, height, name, avatarUrl, given(options) ? embed : options, password);
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

  /**
   * Owner: the conference's tamper-evident record — its sealed manifests with their Merkle proofs and
   * anchoring status (see docs/manifest.md).
   * @example
   * const record = await v4h.getManifest(id);
   * console.log(record.manifests.map((m) => m.anchor.status));
   */
  async getManifest(sessionId: string): Promise<ManifestBundle> {
    checkSessionId(sessionId);
    return fetchManifest(this.#http, sessionId);
  }

  /**
   * Owner: fetches the record and re-checks every hash, the event chain, the Merkle path and the ledger
   * entry's signature (or, with `rpcUrl`, the EVM transaction) — the checks of `node packages/server/bin/v4h.js verify`.
   * @example
   * const report = await v4h.verifyConference(id);
   * if (!report.ok) console.warn(`${report.failure.name}: ${report.failure.detail}`);
   */
  async verifyConference(sessionId: string, options: VerifyConferenceOptions = {}): Promise<VerificationReport> {
    checkSessionId(sessionId);
    return verifyManifestBundle(this.#http, this.#fetch, await fetchManifest(this.#http, sessionId), options);
  }

  /**
   * Uploads a recording (owner) or, with `kind: 'attachment'`, a document (owner, participants), streamed,
   * with progress. Resolves with the stored file (its server-computed `sha256`, a signed `url`).
   * @example
   * const file = await v4h.uploadRecording(id, recordedBlob, { onProgress: ({ loaded, total }) => (bar.value = loaded / total) });
   */
  async uploadRecording(sessionId: string, file: UploadBody, options: UploadOptions = {}): Promise<StoredFile> {
    checkSessionId(sessionId);
    return (await loadFiles(this.#http)).uploadFile({ http: this.#http, tokens: this.#tokens, fetch: this.#fetch }, sessionId, file, options);
  }

  /** Owner: lets the participants see a file (they see only their own uploads until then). */
  async shareFile(sessionId: string, fileId: string): Promise<StoredFile> {
    checkSessionId(sessionId);
    checkString(fileId, 'fileId');
    return (await loadFiles(this.#http)).shareFile(this.#http, sessionId, fileId);
  }

  /** The conference's recordings and attachments the caller may see, oldest first: the owner all, others their own and shared ones. */
  async listFiles(sessionId: string): Promise<StoredFile[]> {
    checkSessionId(sessionId);
    return (await loadFiles(this.#http)).listFiles(this.#http, sessionId);
  }

  /**
   * Owner: a link (and its token) for a guest without an account; `guestId` names it, to revoke it with
   * `POST /api/conferences/:sessionId/guests/:guestId/revoke`.
   */
  async getGuestUrl(sessionId: string, name: string, avatarUrl?: string): Promise<{ guestId: string; jwt: string | null; url: string }> {
    checkSessionId(sessionId);
    checkString(name, 'name');
    if (given(avatarUrl)) checkUrl(avatarUrl, 'avatarUrl');
    return this.#http.request('POST', `/api/conferences/${encodeURIComponent(sessionId)}/guest-url`, {
      body: given(avatarUrl) ? { name, avatarUrl } : { name },
    });
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

  #open(...args: Parameters<V4H['startConference']> extends [...infer All] ? ['start' | 'join', ...All, password?: string] : never): Promise<'ok'> {
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
    password?: string,
  ): Promise<'ok'> {
    checkSessionId(sessionId);
    checkParentNode(parentNode);
    const size = { width: checkSize(width, 'width', 640), height: checkSize(height, 'height', 480) };
    // '' and null mean "not given": the server falls back to the user's name, and there is no avatar.
    if (given(name)) checkName(name, 'name');
    if (given(avatarUrl)) checkUrl(avatarUrl, 'avatarUrl');
    const own = given(options) ? checkEmbedOptions(options, 'options') : {};
    const jitsi = mergeEmbedOptions(this.#jitsiOptions, own);
    const body = { ...(given(name) ? { displayName: name } : {}), ...(given(avatarUrl) ? { avatarUrl } : {}), ...(password ? { password } : {}) };
    const embed = await this.#http.request<Embed>('POST', `/api/conferences/${encodeURIComponent(sessionId)}/${action}`, { body });
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
    const call = new Call({
      embed,
      api,
      avatarUrl: given(avatarUrl) ? avatarUrl : undefined,
      presenceUrl: this.#http.url(`/api/conferences/${encodeURIComponent(embed.sessionId)}/presence`),
      fetch: this.#fetch,
      events: this.#events,
      onEnd: (ended) => {
        unfollow();
        if (this.#call === ended) this.#call = null;
      },
    });
    this.#call = call;
    unfollow = followConference(this.#http.url(`/api/conferences/${encodeURIComponent(embed.sessionId)}/events`), this.#fetch, this.#tokens, (type) => {
      if (type === 'ended') void call.hangUp('ended');
    });
    if (!parentNode.contains(api.getIFrame?.() ?? null)) {
      call.end();
      throw new V4HError('jitsi_unavailable', 'the Jitsi iframe did not appear in parentNode');
    }
    return 'ok';
  }
}

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
