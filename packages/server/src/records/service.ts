// Records for owners and third parties: manifest bundles, verification links, the ledger description.
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { AppError, notFound } from '../errors.js';
import { userPrincipal, type AccessPolicy } from '../conferences/access-policy.js';
import type { ManifestBundle } from '@v4h/protocol/verify';
import type { Ledger, LedgerDescription } from './ledger.js';
import { loadBundle } from './bundle.js';
import { createVerificationLinkSigner, type VerificationLinkSigner } from './verification-links.js';

export const DEFAULT_LINK_TTL = 7 * 86_400;
export const MAX_LINK_TTL = 366 * 86_400;

export interface RecordsServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  ledger: Ledger;
  /** Who may read a conference's records (its owner). */
  access: AccessPolicy;
  tokenSecret: string;
  publicUrl: string;
}

export class RecordsService {
  readonly #links: VerificationLinkSigner;

  constructor(private readonly deps: RecordsServiceDeps) {
    this.#links = createVerificationLinkSigner({ tokenSecret: deps.tokenSecret });
  }

  /** The owner's view of a conference's records. */
  async bundleForOwner(userId: string, sessionId: string): Promise<ManifestBundle> {
    const hash = await this.#ownedConferenceHash(userId, sessionId);
    return loadBundle(this.deps.db, sessionId, hash);
  }

  /** Mints a read-only link a third party can open without an account. */
  async createVerificationLink(userId: string, sessionId: string, ttlSeconds = DEFAULT_LINK_TTL): Promise<{ url: string; token: string; expiresAt: string }> {
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 60 || ttlSeconds > MAX_LINK_TTL) {
      throw new AppError('bad_request', `expiresIn must be between 60 and ${MAX_LINK_TTL} seconds`);
    }
    await this.#ownedConferenceHash(userId, sessionId);
    const { token, expiresAt } = this.#links.sign(sessionId, this.deps.clock.now(), ttlSeconds);
    return { url: `${this.deps.publicUrl}/api/verify/${token}`, token, expiresAt: new Date(expiresAt).toISOString() };
  }

  /** What a verification link opens. */
  async bundleForLink(token: string): Promise<ManifestBundle> {
    const sessionId = this.#links.verify(token, this.deps.clock.now());
    if (!sessionId) throw new AppError('unauthorized', 'invalid or expired verification link');
    const row = await this.deps.db.selectFrom('conferences').select('hash').where('session_id', '=', sessionId).executeTakeFirst();
    if (!row) throw notFound('conference');
    return loadBundle(this.deps.db, sessionId, row.hash);
  }

  ledgerDescription(): LedgerDescription {
    return this.deps.ledger.describe();
  }

  async #ownedConferenceHash(userId: string, sessionId: string): Promise<string | null> {
    const row = await this.deps.db.selectFrom('conferences').select(['owner_id', 'hash']).where('session_id', '=', sessionId).executeTakeFirst();
    if (!row) throw notFound('conference');
    this.deps.access.check(userPrincipal({ id: userId }), { ownerId: row.owner_id }, { do: 'read_records' });
    return row.hash;
  }
}
