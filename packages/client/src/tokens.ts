// Token storage (memory, sessionStorage or custom) and renewal: scheduled before expiry, single flight.
import { V4HError, isV4HError } from './errors.js';
import type { TokenSource } from './http.js';
import type { TokenPair } from '@v4h/protocol';

/** What the SDK keeps about a signed-in user. */
export interface StoredTokens {
  accessToken: string;
  /** Null after `loginWithToken` (nothing to renew with). */
  refreshToken: string | null;
  /** When the access token expires, ms since the epoch. */
  expiresAt: number;
}

/** Where tokens live; synchronous so that it works with Web Storage. */
export interface TokenStore {
  get(): StoredTokens | null;
  set(tokens: StoredTokens | null): void;
}

/** The default: tokens live as long as the V4H instance. */
export function memoryTokenStore(): TokenStore {
  let tokens: StoredTokens | null = null;
  return { get: () => tokens, set: (value) => void (tokens = value) };
}

/** Keeps tokens in `sessionStorage` (they survive a reload of the tab, not closing it). */
export function sessionTokenStore(key = 'v4h.tokens'): TokenStore {
  const storage = globalThis.sessionStorage;
  if (!storage) throw new V4HError('invalid_argument', 'sessionStorage is not available here');
  return {
    get() {
      try {
        const value = JSON.parse(storage.getItem(key) ?? 'null') as StoredTokens | null;
        return value && typeof value.accessToken === 'string' ? value : null;
      } catch {
        return null;
      }
    },
    set: (tokens) => (tokens ? storage.setItem(key, JSON.stringify(tokens)) : storage.removeItem(key)),
  };
}

/** A server's token pair answer (the wire's type). */
export type TokenAnswer = TokenPair;

export interface TokenManagerOptions {
  store: TokenStore;
  autoRefresh: boolean;
  /** Calls POST /api/auth/refresh. */
  renew(refreshToken: string): Promise<TokenAnswer>;
  /** Told once per lost session. */
  onExpired(error: V4HError): void;
}

// Renew 30 s before expiry, or a fifth of the remaining time for short-lived tokens (at least 1 s ahead).
const refreshLead = (remainingMs: number) => Math.min(30_000, Math.max(1_000, remainingMs / 5));
const RETRY_MS = 5_000;

/** Holds the tokens and renews them; the {@link TokenSource} the HTTP client uses. */
export class TokenManager implements TokenSource {
  readonly #options: TokenManagerOptions;
  #inflight: { refreshToken: string; promise: Promise<string> } | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: TokenManagerOptions) {
    this.#options = options;
    if (this.current()) this.#schedule();
  }

  current(): StoredTokens | null {
    return this.#options.store.get();
  }

  /** Stores a new pair (login, refresh) and schedules its renewal. */
  adopt(accessToken: string, refreshToken: string | null, expiresAt: number): void {
    this.#options.store.set({ accessToken, refreshToken, expiresAt });
    this.#schedule();
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.#options.store.set(null);
  }

  async accessToken(): Promise<string | null> {
    const tokens = this.current();
    if (!tokens) return null;
    // A token known to be stale (e.g. timers paused while the laptop slept) is renewed first.
    if (tokens.refreshToken && tokens.expiresAt - Date.now() <= 1_000) return this.refresh();
    return tokens.accessToken;
  }

  canRefresh(): boolean {
    return Boolean(this.current()?.refreshToken);
  }

  /** Renews with the given or the stored refresh token; concurrent callers share one request. */
  refresh(refreshToken = this.current()?.refreshToken ?? undefined): Promise<string> {
    if (!refreshToken) return Promise.reject(new V4HError('session_expired', 'no refresh token: sign in again'));
    if (this.#inflight?.refreshToken === refreshToken) return this.#inflight.promise;
    const promise = this.#renew(refreshToken).finally(() => {
      if (this.#inflight?.promise === promise) this.#inflight = null;
    });
    this.#inflight = { refreshToken, promise };
    return promise;
  }

  async #renew(refreshToken: string): Promise<string> {
    let answer: TokenAnswer;
    try {
      answer = await this.#options.renew(refreshToken);
    } catch (error) {
      // Outages are not a lost session: keep the tokens and try again later.
      if (isV4HError(error) && (error.status === 0 || error.status >= 500 || error.status === 429)) {
        this.#schedule(RETRY_MS);
        throw error;
      }
      const expired = new V4HError('session_expired', 'the session could not be renewed: sign in again', isV4HError(error) ? error.status : 0, error);
      if (this.current()?.refreshToken === refreshToken) {
        this.clear();
        this.#options.onExpired(expired);
      }
      throw expired;
    }
    this.adopt(answer.accessToken, answer.refreshToken, Date.now() + answer.expiresIn * 1000);
    return answer.accessToken;
  }

  #schedule(delay?: number): void {
    clearTimeout(this.#timer);
    const tokens = this.current();
    if (!this.#options.autoRefresh || !tokens?.refreshToken) return;
    const remaining = tokens.expiresAt - Date.now();
    this.#timer = setTimeout(() => void this.refresh().catch(() => {}), delay ?? Math.max(0, remaining - refreshLead(remaining)));
    // In Node, a pending renewal must not keep a finished script alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
