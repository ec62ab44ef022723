// The onRequest hook that turns `Authorization: Bearer <access token>` into request.user (or, on routes that take
// them, `Bearer <API key>` into request.apiKey), or answers 401.
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { AppError, forbidden, unauthorized } from '../errors.js';
import { InvalidAccessToken, type AccessClaims, type AccessTokenSigner } from './access-tokens.js';
import { familyStatus } from './admission.js';
import { parseBearer } from '../lib/bearer.js';
import { looksLikeApiKey, parseApiKey } from '../lib/api-keys.js';

export interface AuthUser {
  id: string;
  username: string;
  familyId: string;
  /** When the presented access token expires (ms). */
  expiresAt: number;
}

/** An organisation's API key, as authenticate sets it (apikeys/service.ts checks it). */
export interface AuthApiKey {
  id: string;
  organisationId: string;
  scopes: readonly string[];
}

/** Checks a presented API key (hash, revocation, rate limit) and records its use; throws 401/429 AppErrors. */
export type ApiKeyAuthenticator = (key: string) => Promise<AuthApiKey>;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authenticate; null on routes that do not require a user, and when an API key authenticated. */
    user: AuthUser | null;
    /** Set by authenticate when the route takes API keys and one was sent; null otherwise. */
    apiKey: AuthApiKey | null;
  }
  interface FastifyContextConfig {
    /** The route takes `Authorization: Bearer <API key>` as well as a user's access token. */
    apiKeys?: boolean;
  }
}

/** The access token of the request's `Authorization: Bearer` header (lib/bearer.ts), or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return parseBearer(request.headers.authorization);
}

/**
 * Verifies the token, then checks that its user is enabled and its refresh-token family not revoked, and sets
 * request.user; throws a 401 AppError otherwise. Use it as an onRequest hook (before the body is read or validated, so
 * that an anonymous caller learns nothing about what a route accepts), or call it and await what it returns.
 * It answers synchronously when it can (on SQLite, unless a transaction holds the connection) and then calls `done`
 * itself; otherwise (PostgreSQL) it returns a promise. Every authenticated request runs this, and the promises an
 * async version awaited cost more than the checks.
 */
export function createAuthenticate(deps: { signer: AccessTokenSigner; db: Kysely<Database>; clock: Clock; apiKeys?: ApiKeyAuthenticator }) {
  return function authenticate(request: FastifyRequest, _reply?: unknown, done?: () => void): Promise<void> | undefined {
    const token = bearerToken(request);
    if (!token) {
      if (request.headers.authorization === undefined) throw unauthorized('missing access token (Authorization: Bearer …)');
      throw unauthorized('the Authorization header is not "Bearer <access token>"');
    }
    if (looksLikeApiKey(token)) {
      // Routes opt in (config.apiKeys): elsewhere a key is refused before it is even checked.
      if (!deps.apiKeys || request.routeOptions.config.apiKeys !== true) {
        throw forbidden(`API keys are not accepted on ${request.method} ${request.routeOptions.url ?? 'this route'}: see docs/api.md, API keys`);
      }
      return deps.apiKeys(token).then(
        (key) => {
          request.apiKey = key;
        },
        (error: unknown) => {
          // A refused key (revoked, over its limit, wrong secret) is attributable too: by its id, never its secret.
          request.log.warn({ apiKeyId: parseApiKey(token)?.id ?? null, error: (error as { code?: string }).code }, 'API key refused');
          throw error;
        },
      );
    }
    let claims: AccessClaims;
    try {
      claims = deps.signer.verify(token, deps.clock.now());
    } catch (error) {
      if (error instanceof InvalidAccessToken) throw new AppError('unauthorized', error.message);
      throw error;
    }
    const params = { familyId: claims.familyId, userId: claims.userId };
    const row = familyStatus.firstSoon(deps.db, params);
    if (row instanceof Promise) return row.then((found) => setUser(request, claims, found));
    setUser(request, claims, row);
    done?.();
    return undefined;
  };
}

function setUser(request: FastifyRequest, claims: AccessClaims, row: { disabled: number | boolean; revoked_at: unknown } | undefined): void {
  if (!row || row.disabled || row.revoked_at !== null) throw unauthorized('access token revoked');
  request.user = { id: claims.userId, username: claims.username, familyId: claims.familyId, expiresAt: claims.expiresAt };
}

export type Authenticate = ReturnType<typeof createAuthenticate>;
