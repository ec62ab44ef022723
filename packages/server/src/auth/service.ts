// Accounts and tokens: users (argon2id), login with rate limits, refresh-token rotation with reuse detection, logout.
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { TokenPair } from '@v4h/protocol';
import { AppError, notFound } from '../errors.js';
import { iso, type Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { createAccessTokenSigner, type AccessTokenSigner } from './access-tokens.js';
import { checkPassword, hashPassword, verifyAgainstDummy, verifyPassword } from './passwords.js';
import { checkUsername, normalizeUsername } from './usernames.js';
import { RateLimiter } from './rate-limiter.js';
import { RefreshTokenRepository } from './refresh-tokens.js';
import type { OrganisationRole } from '../db/schema.js';
import { DEFAULT_ORGANISATION_ID } from '../db/memberships.js';

/** What login and refresh answer (docs/api.md): the wire's type. */
export type { TokenPair };

export interface UserSummary {
  username: string;
  disabled: boolean;
  /** ISO 8601 UTC. */
  created: string;
}

/** Where a new user goes: an organisation (default: `default`) and a role there (default: member). */
export interface UserPlace {
  organisationId?: string;
  role?: OrganisationRole;
}

export interface AuthServiceDeps {
  db: Db;
  clock: Clock;
  config: Config;
  /** Defaults to an HS256 signer over config.tokenSecret (which must be resolved, see secrets.ts). */
  signer?: AccessTokenSigner;
}

// One message for every failed login, so that answers never tell which part was wrong.
const invalidCredentials = () => new AppError('invalid_credentials', 'wrong username or password');
const invalidRefreshToken = (message = 'invalid refresh token') => new AppError('invalid_refresh_token', message);

/** Accounts and tokens, independent of HTTP (used by the routes and the CLI). */
export class AuthService {
  #db: Db;
  #clock: Clock;
  #config: Config;
  #signer: AccessTokenSigner | undefined;
  #limiter: RateLimiter;
  #tokens: RefreshTokenRepository;

  constructor(deps: AuthServiceDeps) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#config = deps.config;
    this.#signer = deps.signer;
    this.#limiter = new RateLimiter(deps.db);
    this.#tokens = new RefreshTokenRepository(deps.db);
  }

  // Built on first use: the CLI's user commands never sign tokens.
  get #accessTokens(): AccessTokenSigner {
    const { tokenSecret, publicUrl, accessTokenTtl } = this.#config;
    if (!tokenSecret) throw new Error('AuthService: config.tokenSecret is not resolved (call resolveSecrets first)');
    return (this.#signer ??= createAccessTokenSigner({ secret: tokenSecret, issuer: publicUrl, ttlSeconds: accessTokenTtl }));
  }

  /**
   * Creates an enabled user under the normalised name (NFC, lowercase: `Dr.Ana` is stored as `dr.ana`). Throws
   * validation_failed for a bad name or password, conflict when the name is taken in any case.
   */
  async createUser(name: string, password: string, place: UserPlace = {}): Promise<{ id: string; username: string }> {
    checkUsername(name);
    const username = normalizeUsername(name);
    checkPassword(password);
    if (await this.#findUser(username)) throw new AppError('conflict', `user ${username} already exists`);
    const id = newId();
    const passwordHash = await hashPassword(password);
    const now = this.#clock.now();
    try {
      // The account and its organisation together: a user is never without one.
      await this.#db.write(async (trx) => {
        await trx.insertInto('users').values({ id, username, password_hash: passwordHash, disabled: 0, created_at: now }).execute();
        await trx
          .insertInto('organisation_members')
          .values({ user_id: id, organisation_id: place.organisationId ?? DEFAULT_ORGANISATION_ID, role: place.role ?? 'member', created_at: now })
          .execute();
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new AppError('conflict', `user ${username} already exists`);
      throw error;
    }
    return { id, username };
  }

  /**
   * Creates the user unless one of that name exists (its password is left alone). True when created. `place.role`
   * admin also makes an existing user an admin of their organisation (the V4H_ADMIN_USERNAME account at start).
   */
  async ensureUser(username: string, password: string, place: UserPlace = {}): Promise<boolean> {
    const existing = await this.#findUser(username);
    if (existing) {
      if (place.role === 'admin')
        await this.#db.write((trx) => trx.updateTable('organisation_members').set({ role: 'admin' }).where('user_id', '=', existing.id).execute());
      return false;
    }
    try {
      await this.createUser(username, password, place);
      return true;
    } catch (error) {
      // Another process created it between the check and the insert.
      if (error instanceof AppError && error.code === 'conflict') return false;
      throw error;
    }
  }

  /**
   * Checks the password and starts a refresh-token family. Unknown user, wrong password and disabled user
   * all cost one argon2 verification and give the same 401. Throws rate_limited (429, Retry-After) past a limit,
   * counted before the password is checked (see #enforceLoginLimits: strangers cannot lock the real user out).
   */
  async login(name: string, password: string, clientAddress: string): Promise<TokenPair> {
    // Limits count the account, whatever case the attempt was typed in.
    const username = normalizeUsername(name);
    const now = this.#clock.now();
    const bucket = addressBucket(clientAddress);
    await this.#enforceLoginLimits(username, bucket, now);
    const user = await this.#findUser(username);
    const ok = user ? await verifyPassword(user.password_hash, password) : await verifyAgainstDummy(password);
    if (!user || !ok || user.disabled) throw invalidCredentials();
    await this.#limiter.clear(pairLimitKey(username, bucket));
    await this.#limiter.clear(userLimitKey(username));
    const { familyId, refreshToken } = await this.#tokens.createFamily(user.id, this.#config.refreshTokenTtl * 1000, now);
    return this.#tokenPair(user.id, user.username, familyId, refreshToken, now);
  }

  /**
   * Exchanges a refresh token for a new pair (rotation). A token presented a second time — replayed, or raced
   * by a concurrent request — revokes its whole family (RFC 9700 §4.14), which also stops the family's access tokens.
   */
  async refresh(refreshToken: string): Promise<TokenPair> {
    const now = this.#clock.now();
    const stored = await this.#tokens.find(refreshToken);
    if (!stored) throw invalidRefreshToken();
    if (stored.familyRevokedAt !== null) throw invalidRefreshToken('refresh token revoked; log in again');
    if (stored.userDisabled) throw invalidRefreshToken('refresh token revoked; log in again');
    if (stored.familyExpiresAt <= now) throw invalidRefreshToken('refresh token expired; log in again');
    const next = stored.usedAt === null ? await this.#tokens.rotate(stored, now) : null;
    if (next === null) {
      await this.#tokens.revokeFamily(stored.familyId, 'refresh_token_reuse', now);
      throw invalidRefreshToken('refresh token already used; its session is revoked, log in again');
    }
    return this.#tokenPair(stored.userId, stored.username, stored.familyId, next, now);
  }

  /**
   * Revokes the family of a refresh token (used or not): its refresh and access tokens stop working.
   * Idempotent for a known token; an unknown token is an error (invalid_refresh_token), so that a client
   * never believes a session is closed when it presented the wrong token.
   */
  async logout(refreshToken: string): Promise<void> {
    const stored = await this.#tokens.find(refreshToken);
    if (!stored) throw invalidRefreshToken();
    await this.#tokens.revokeFamily(stored.familyId, 'logout', this.#clock.now());
  }

  /** Disables a user: login is refused and all their sessions (refresh and access tokens) are revoked. */
  async disableUser(username: string): Promise<void> {
    const user = await this.#requireUser(username);
    await this.#db.kysely.updateTable('users').set({ disabled: 1 }).where('id', '=', user.id).execute();
    await this.#tokens.revokeUserFamilies(user.id, 'user_disabled', this.#clock.now());
  }

  /** Lets a disabled user log in again (their old sessions stay revoked). */
  async enableUser(username: string): Promise<void> {
    const user = await this.#requireUser(username);
    await this.#db.kysely.updateTable('users').set({ disabled: 0 }).where('id', '=', user.id).execute();
  }

  /** Sets a new password and revokes the user's existing sessions (a stolen session does not survive a reset). */
  async setPassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    const user = await this.#requireUser(username);
    const passwordHash = await hashPassword(password);
    await this.#db.kysely.updateTable('users').set({ password_hash: passwordHash }).where('id', '=', user.id).execute();
    await this.#tokens.revokeUserFamilies(user.id, 'password_changed', this.#clock.now());
  }

  /** True when a user of that name exists (enabled or not). */
  async userExists(username: string): Promise<boolean> {
    return (await this.#findUser(username)) !== undefined;
  }

  /** True when at least one user exists (a fresh install has none, and nobody can log in yet). */
  async anyUserExists(): Promise<boolean> {
    return (await this.#db.kysely.selectFrom('users').select('id').limit(1).executeTakeFirst()) !== undefined;
  }

  /** All users, by name. */
  async listUsers(): Promise<UserSummary[]> {
    const rows = await this.#db.kysely.selectFrom('users').select(['username', 'disabled', 'created_at']).orderBy('username').execute();
    return rows.map((row) => ({ username: row.username, disabled: Boolean(row.disabled), created: iso(Number(row.created_at))! }));
  }

  async #tokenPair(userId: string, username: string, familyId: string, refreshToken: string, now: number): Promise<TokenPair> {
    const { token } = await this.#accessTokens.sign({ userId, username, familyId }, now);
    return { accessToken: token, refreshToken, expiresIn: this.#config.accessTokenTtl };
  }

  /**
   * OWASP ASVS 2.2.1 without a lockout anyone can trigger: the strict limit counts one name from one address (IPv6 per
   * /64), so a stranger's wrong passwords block only the stranger. Per name from all addresses the limit is much
   * higher (an attack spread over many addresses), and past the strict one each attempt on the name waits a little
   * longer (loginDelayMs) before its password is checked. Per address over all names: spraying one password.
   */
  async #enforceLoginLimits(username: string, bucket: string, now: number): Promise<void> {
    const { perUserAddress, perUser, perAddress, windowSeconds } = this.#config.loginRateLimit;
    const windowMs = windowSeconds * 1000;
    const byPair = await this.#limiter.hit(pairLimitKey(username, bucket), windowMs, now);
    const byUser = await this.#limiter.hit(userLimitKey(username), windowMs, now);
    const byAddress = await this.#limiter.hit(`login:addr:${bucket}`, windowMs, now);
    const blocked = [
      byPair.count > perUserAddress ? byPair.resetAt : 0,
      byUser.count > perUser ? byUser.resetAt : 0,
      byAddress.count > perAddress ? byAddress.resetAt : 0,
    ];
    const until = Math.max(...blocked);
    if (until > 0) {
      const retryAfter = Math.max(1, Math.ceil((until - now) / 1000));
      throw new AppError('rate_limited', `too many login attempts; try again in ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
    }
    const delay = loginDelayMs(byUser.count, perUserAddress);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  }

  #findUser(username: string) {
    return this.#db.kysely.selectFrom('users').selectAll().where('username', '=', normalizeUsername(username)).executeTakeFirst();
  }

  async #requireUser(username: string) {
    const user = await this.#findUser(username);
    if (!user) throw notFound(`user ${username}`);
    return user;
  }
}

const userLimitKey = (username: string) => `login:user:${username}`;
// The bucket first: it has no colon-free ambiguity with the name (an IPv6 bucket holds colons, a name may too).
const pairLimitKey = (username: string, bucket: string) => `login:pair:${bucket.length}:${bucket}:${username}`;

/** Longest wait before a login attempt's password is checked. */
export const MAX_LOGIN_DELAY_MS = 5000;

/**
 * How long the `attempts`-th attempt on a name in the window waits: nothing up to the strict (per name and address)
 * limit, then 250 ms, doubling every ten attempts, at most MAX_LOGIN_DELAY_MS. The real user, coming from an address
 * of their own, still gets in: slowed by seconds at worst, never refused until the much higher per-name limit.
 */
export function loginDelayMs(attempts: number, strictLimit: number): number {
  if (attempts <= strictLimit) return 0;
  return Math.min(MAX_LOGIN_DELAY_MS, 250 * 2 ** Math.floor((attempts - strictLimit - 1) / 10));
}

/** IPv4 (also IPv4-mapped IPv6) by address; IPv6 by /64, the block one subscriber usually holds. */
export function addressBucket(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string })?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
