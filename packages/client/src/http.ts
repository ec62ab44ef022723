// A tiny JSON-over-fetch client: maps answers to V4HError, retries once after a 401 with a refreshed token.
import { V4HError, type V4HErrorCode } from './errors.js';

/** The subset of `fetch` the SDK uses (so any WHATWG-compatible fetch can be injected). */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Where authenticated requests get their token, and how they renew it. */
export interface TokenSource {
  /** A usable access token (refreshing first when it is known to be expired), or null when signed out. */
  accessToken(): Promise<string | null>;
  /** True when a refresh token is held. */
  canRefresh(): boolean;
  /** Renews the access token (single flight); rejects with `session_expired`. */
  refresh(): Promise<string>;
}

export interface RequestOptions {
  body?: unknown;
  /** Send this token instead of the stored one (and do not refresh). */
  token?: string;
  /** Send the stored token (default true). */
  auth?: boolean;
}

const fallbackCodes: Record<number, V4HErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  429: 'rate_limited',
  503: 'service_unavailable',
};

export class HttpClient {
  readonly #baseUrl: string;
  readonly #fetch: FetchLike;
  readonly #tokens: TokenSource;

  constructor(baseUrl: string, fetchFn: FetchLike, tokens: TokenSource) {
    this.#baseUrl = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetchFn;
    this.#tokens = tokens;
  }

  /** Absolute URL of an API path. */
  url(path: string): string {
    return this.#baseUrl + path;
  }

  /** Sends one request; authenticated ones are retried once after a 401 when a refresh token is held. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    if (options.token !== undefined || options.auth === false) return this.#send<T>(method, path, options.body, options.token);
    const token = await this.#tokens.accessToken();
    if (token === null) throw new V4HError('not_signed_in', `${method} ${path}: sign in first (login or loginWithToken)`);
    try {
      return await this.#send<T>(method, path, options.body, token);
    } catch (error) {
      if (!(error instanceof V4HError) || error.status !== 401 || !this.#tokens.canRefresh()) throw error;
      return this.#send<T>(method, path, options.body, await this.#tokens.refresh());
    }
  }

  async #send<T>(method: string, path: string, body: unknown, token?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.#fetch(this.url(path), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (cause) {
      // A CORS refusal looks like any network failure here; the server's log names V4H_CORS_ORIGINS and the origin
      // (security/cors.ts). A hint in this message cost 59 B gzipped, more than the one-file SDK's budget had left.
      throw new V4HError('network_error', `${method} ${path} failed: ${(cause as Error)?.message ?? cause}`, 0, cause);
    }
    const text = await response.text().catch(() => '');
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      data = undefined;
    }
    if (!response.ok) {
      const answer = (data ?? {}) as { error?: unknown; message?: unknown };
      const code = typeof answer.error === 'string' ? (answer.error as V4HErrorCode) : (fallbackCodes[response.status] ?? 'internal_error');
      const message = typeof answer.message === 'string' ? answer.message : response.statusText || 'request failed';
      throw new V4HError(code, `${method} ${path}: ${message}`, response.status);
    }
    if (data === undefined) throw new V4HError('bad_response', `${method} ${path}: expected a JSON answer`, response.status);
    return data as T;
  }
}
