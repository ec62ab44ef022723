// API keys of organisations: create (the secret shown once, only its hash kept), list, revoke, and the check of a
// presented key (hash, revocation, a rate limit per key, its last use) that authenticate runs. No Fastify here.
import { API_KEY_SCOPES, type ApiKeyCreated, type ApiKeyInfo, type ApiKeyScope } from '@v4h/protocol';
import type { Db } from '../db/database.js';
import type { ApiKeysTable } from '../db/schema.js';
import { iso, type Clock } from '../lib/clock.js';
import { AppError, notFound, unauthorized } from '../errors.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { AuthApiKey } from '../auth/authenticate.js';
import { apiKeySecretMatches, newApiKey, parseApiKey } from '../lib/api-keys.js';
import type { AccessPolicy, Principal } from '../conferences/access-policy.js';

/** Scopes of a key created without any. */
export const DEFAULT_SCOPES: readonly ApiKeyScope[] = ['conferences:read', 'conferences:write'];

// last_used_at is written at most once a minute per key: a write per request would double what a key request costs.
const LAST_USED_GRANULARITY_MS = 60_000;
const RATE_WINDOW_MS = 60_000;

export interface ApiKeyServiceOptions {
  db: Db;
  clock: Clock;
  /** Requests one key may make per minute (V4H_API_KEY_REQUESTS_PER_MINUTE). */
  requestsPerMinute: number;
  access: AccessPolicy;
}

export class ApiKeyService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #requestsPerMinute: number;
  readonly #access: AccessPolicy;

  constructor(options: ApiKeyServiceOptions) {
    this.#access = options.access;
    this.#db = options.db;
    this.#clock = options.clock;
    this.#limiter = new RateLimiter(options.db);
    this.#requestsPerMinute = options.requestsPerMinute;
  }

  /**
   * The organisation whose keys a caller manages: the one named (or else the caller's own), once the access policy
   * allows it (its admins, the server's admin).
   */
  async managedOrganisation(who: Principal & { kind: 'user' }, organisationId?: string): Promise<string> {
    const id = organisationId ?? (await this.#access.membership(who))!.organisationId;
    await this.#access.requireOrganisation(who, id, 'manage');
    return id;
  }

  /** Revokes a key of an organisation the caller manages. */
  async revokeAs(who: Principal & { kind: 'user' }, id: string): Promise<ApiKeyInfo> {
    const key = await this.find(id);
    if (!key) throw notFound('API key');
    await this.#access.requireOrganisation(who, key.organisationId, 'manage');
    return this.revoke(id);
  }

  /** A new key of the organisation; the answer holds the key itself, which is never shown again. */
  async create(o: { organisationId: string; name: string; scopes?: readonly string[]; createdBy: string }): Promise<ApiKeyCreated> {
    const scopes = checkScopes(o.scopes ?? DEFAULT_SCOPES);
    const organisation = await this.#db.kysely.selectFrom('organisations').select('id').where('id', '=', o.organisationId).executeTakeFirst();
    if (!organisation) throw notFound('organisation');
    const { id, key, secretHash } = newApiKey();
    const row: ApiKeysTable = {
      id,
      organisation_id: o.organisationId,
      name: o.name,
      scopes: scopes.join(' '),
      secret_hash: secretHash,
      created_by: o.createdBy,
      created_at: this.#clock.now(),
      last_used_at: null,
      revoked_at: null,
    };
    await this.#db.write((trx) => trx.insertInto('api_keys').values(row).execute());
    return { ...infoOf(row), key };
  }

  /** The organisation's keys (revoked ones too), newest first; never their secrets. */
  async list(organisationId?: string): Promise<ApiKeyInfo[]> {
    let query = this.#db.kysely.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').orderBy('id');
    if (organisationId !== undefined) query = query.where('organisation_id', '=', organisationId);
    return (await query.execute()).map(infoOf);
  }

  /** The key's row as listed, or undefined. */
  async find(id: string): Promise<ApiKeyInfo | undefined> {
    const row = await this.#db.kysely.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row && infoOf(row);
  }

  /** Revokes the key (idempotent): from this moment every request with it is refused. */
  async revoke(id: string): Promise<ApiKeyInfo> {
    const now = this.#clock.now();
    await this.#db.write((trx) => trx.updateTable('api_keys').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute());
    const key = await this.find(id);
    if (!key) throw notFound('API key');
    return key;
  }

  /**
   * The check authenticate runs on a presented key: a known id whose secret hashes to the stored hash (compared in
   * constant time), not revoked (read on every request, never cached: a revocation holds at once), within its rate
   * limit. Records its last use (to the minute).
   */
  async authenticate(token: string): Promise<AuthApiKey> {
    const parsed = parseApiKey(token);
    if (!parsed) throw unauthorized('malformed API key (expected v4hk_<id>_<secret>)');
    const row = await this.#db.kysely.selectFrom('api_keys').selectAll().where('id', '=', parsed.id).executeTakeFirst();
    if (!row || !apiKeySecretMatches(parsed.secret, row.secret_hash)) throw unauthorized('invalid API key');
    if (row.revoked_at !== null) throw unauthorized('this API key was revoked');
    const now = this.#clock.now();
    const hit = await this.#limiter.hit(`apikey:${row.id}`, RATE_WINDOW_MS, now);
    if (hit.count > this.#requestsPerMinute) {
      const retryAfter = Math.max(1, Math.ceil((hit.resetAt - now) / 1000));
      throw new AppError('rate_limited', `API key ${row.id}: more than ${this.#requestsPerMinute} requests a minute; try again in ${retryAfter} s`, {
        'Retry-After': String(retryAfter),
      });
    }
    if (row.last_used_at === null || now - Number(row.last_used_at) >= LAST_USED_GRANULARITY_MS) {
      await this.#db.write((trx) => trx.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute());
    }
    return { id: row.id, organisationId: row.organisation_id, scopes: row.scopes.split(' ') };
  }
}

/** Known scopes, each once, in the documented order; a 400 names an unknown one. */
export function checkScopes(scopes: readonly string[]): ApiKeyScope[] {
  const unknown = scopes.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0) throw new AppError('validation_failed', `unknown scopes: ${unknown.join(', ')} (known: ${API_KEY_SCOPES.join(', ')})`);
  if (scopes.length === 0) throw new AppError('validation_failed', 'a key needs at least one scope');
  return API_KEY_SCOPES.filter((s) => scopes.includes(s));
}

function infoOf(row: ApiKeysTable): ApiKeyInfo {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    name: row.name,
    scopes: row.scopes.split(' ') as ApiKeyScope[],
    createdAt: iso(Number(row.created_at))!,
    lastUsedAt: iso(row.last_used_at === null ? null : Number(row.last_used_at)),
    revokedAt: iso(row.revoked_at === null ? null : Number(row.revoked_at)),
  };
}
