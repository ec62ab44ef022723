// Refresh-token families in the database: opaque tokens stored only as SHA-256, rotated on use, revoked as a family.
import type { Db } from '../db/database.js';
import type { RefreshTokensTable } from '../db/schema.js';
import { prepareQuery } from '../db/prepared.js';
import { newId, newSecretToken, sha256Hex } from '../lib/ids.js';

export type RevokeReason = 'logout' | 'refresh_token_reuse' | 'user_disabled' | 'password_changed';

/** What the database knows about a presented refresh token. */
export interface StoredRefreshToken {
  tokenHash: string;
  familyId: string;
  userId: string;
  username: string;
  userDisabled: boolean;
  usedAt: number | null;
  familyExpiresAt: number;
  familyRevokedAt: number | null;
}

// Every refresh runs these three (and every login the insert): compiled once (db/prepared.ts).
const tokenByHash = prepareQuery((db, p: { tokenHash: string }) =>
  db
    .selectFrom('refresh_tokens')
    .innerJoin('token_families', 'token_families.id', 'refresh_tokens.family_id')
    .innerJoin('users', 'users.id', 'refresh_tokens.user_id')
    .select([
      'refresh_tokens.token_hash',
      'refresh_tokens.family_id',
      'refresh_tokens.user_id',
      'refresh_tokens.used_at',
      'token_families.expires_at',
      'token_families.revoked_at',
      'users.username',
      'users.disabled',
    ])
    .where('refresh_tokens.token_hash', '=', p.tokenHash),
);
const markUsed = prepareQuery((db, p: { tokenHash: string; now: number }) =>
  db.updateTable('refresh_tokens').set({ used_at: p.now }).where('token_hash', '=', p.tokenHash).where('used_at', 'is', null),
);
const insertToken = prepareQuery((db, p: RefreshTokensTable) =>
  db.insertInto('refresh_tokens').values({
    token_hash: p.token_hash,
    family_id: p.family_id,
    user_id: p.user_id,
    created_at: p.created_at,
    family_expires_at: p.family_expires_at,
    used_at: p.used_at,
  }),
);

export class RefreshTokenRepository {
  #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Starts a family (one per login) living `ttlMs` from now and returns its first token. */
  async createFamily(userId: string, ttlMs: number, now: number): Promise<{ familyId: string; refreshToken: string }> {
    const familyId = newId();
    const refreshToken = newSecretToken();
    await this.#db.write(async (trx) => {
      await trx
        .insertInto('token_families')
        .values({ id: familyId, user_id: userId, created_at: now, expires_at: now + ttlMs, revoked_at: null, revoked_reason: null })
        .execute();
      await insertToken.run(trx, {
        token_hash: sha256Hex(refreshToken),
        family_id: familyId,
        user_id: userId,
        created_at: now,
        family_expires_at: now + ttlMs,
        used_at: null,
      });
    });
    return { familyId, refreshToken };
  }

  /** Looks a presented token up by its hash, with its family and user; undefined when unknown. */
  async find(refreshToken: string): Promise<StoredRefreshToken | undefined> {
    const row = await tokenByHash.first(this.#db.kysely, { tokenHash: sha256Hex(refreshToken) });
    if (!row) return undefined;
    return {
      tokenHash: row.token_hash,
      familyId: row.family_id,
      userId: row.user_id,
      username: row.username,
      userDisabled: Boolean(row.disabled),
      usedAt: row.used_at === null ? null : Number(row.used_at),
      familyExpiresAt: Number(row.expires_at),
      familyRevokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    };
  }

  /**
   * Marks `stored` used and issues its successor in the same family, in one transaction.
   * The mark is a conditional UPDATE (… WHERE used_at IS NULL) and comes first, so that of several
   * processes presenting the same token at once exactly one changes a row; the others get null.
   */
  async rotate(stored: StoredRefreshToken, now: number): Promise<string | null> {
    const next = newSecretToken();
    // db.write: concurrent rotations share a commit on SQLite (group commit), each in its own savepoint.
    return this.#db.write(async (trx) => {
      const marked = await markUsed.run(trx, { tokenHash: stored.tokenHash, now });
      if (Number(marked.numAffectedRows) !== 1) return null;
      await insertToken.run(trx, {
        token_hash: sha256Hex(next),
        family_id: stored.familyId,
        user_id: stored.userId,
        created_at: now,
        family_expires_at: stored.familyExpiresAt,
        used_at: null,
      });
      return next;
    });
  }

  /** Revokes one family; a family already revoked keeps its first reason. */
  async revokeFamily(familyId: string, reason: RevokeReason, now: number): Promise<void> {
    await this.#db.write((trx) =>
      trx.updateTable('token_families').set({ revoked_at: now, revoked_reason: reason }).where('id', '=', familyId).where('revoked_at', 'is', null).execute(),
    );
  }

  /** Revokes every live family of a user. */
  async revokeUserFamilies(userId: string, reason: RevokeReason, now: number): Promise<void> {
    await this.#db.write((trx) =>
      trx
        .updateTable('token_families')
        .set({ revoked_at: now, revoked_reason: reason })
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .execute(),
    );
  }
}
