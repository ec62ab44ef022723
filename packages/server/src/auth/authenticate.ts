// The preHandler that turns `Authorization: Bearer <access token>` into request.user, or answers 401.
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { AppError, unauthorized } from '../errors.js';
import { InvalidAccessToken, type AccessTokenSigner } from './access-tokens.js';
import { prepareQuery } from '../db/prepared.js';

export interface AuthUser {
  id: string;
  username: string;
  familyId: string;
  /** When the presented access token expires (ms). */
  expiresAt: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by authenticate; null on routes that do not require a user. */
    user: AuthUser | null;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header.trim());
  return match?.[1];
}

/** Every authenticated request runs this: compiled once, and answered from the SQLite read cache (see db/prepared.ts). */
const familyStatus = prepareQuery(
  (db, p: { familyId: string; userId: string }) =>
    db
      .selectFrom('token_families')
      .innerJoin('users', 'users.id', 'token_families.user_id')
      .select(['users.disabled', 'token_families.revoked_at'])
      .where('token_families.id', '=', p.familyId)
      .where('users.id', '=', p.userId),
  { cached: true },
);

/** Verifies the token, then checks that its user is enabled and its refresh-token family not revoked. */
export function createAuthenticate(deps: { signer: AccessTokenSigner; db: Kysely<Database>; clock: Clock }) {
  return async function authenticate(request: FastifyRequest): Promise<void> {
    const token = bearerToken(request);
    if (!token) throw unauthorized('missing access token (Authorization: Bearer …)');
    let claims;
    try {
      claims = await deps.signer.verify(token, deps.clock.now());
    } catch (error) {
      if (error instanceof InvalidAccessToken) throw new AppError('unauthorized', error.message);
      throw error;
    }
    const row = await familyStatus.first(deps.db, { familyId: claims.familyId, userId: claims.userId });
    if (!row || row.disabled || row.revoked_at !== null) throw unauthorized('access token revoked');
    request.user = { id: claims.userId, username: claims.username, familyId: claims.familyId, expiresAt: claims.expiresAt };
  };
}

export type Authenticate = ReturnType<typeof createAuthenticate>;
