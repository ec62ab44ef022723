// The one answer to "may this caller do X to this conference": join policies, owner-only actions, files and their
// sharing. Every domain asks here (conferences, room, storage); organisations and API keys plug in here later.
import type { Kysely, Transaction } from 'kysely';
import type { Database, JoinPolicy } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { AppError, forbidden } from '../errors.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { Db } from '../db/database.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';

/** Who asks: a signed-in user, or the recorder service (Jibri). Presence reports are no one: they grant nothing. */
export type Subject = { kind: 'user'; id: string } | { kind: 'recorder' };

/** What the policy needs to know about a conference. */
export interface ConferenceAccess {
  sessionId: string;
  ownerId: string;
  joinPolicy: JoinPolicy;
  joinPasswordHash: string | null;
}

/** What a file needs for its visibility. */
export interface FileAccess {
  uploaderId: string | null;
  shared: boolean;
}

/** The actions a route can ask about. */
export type ConferenceAction =
  | { do: 'manage' } // start, end, details, guest links, kick, share files
  | { do: 'join'; password?: string }
  | { do: 'upload'; kind: 'recording' | 'attachment' }
  | { do: 'list_files' }
  | { do: 'read_file'; file: FileAccess };

export const JOIN_POLICIES: readonly JoinPolicy[] = ['ORG', 'RESTRICT', 'SESSIONPWD', 'PUBLIC'];

const POLICY_REFUSAL: Record<JoinPolicy, string> = {
  ORG: 'join policy ORG: only colleagues of the owner’s organisation may join',
  RESTRICT: 'join policy RESTRICT: only the users the owner named may join this conference',
  SESSIONPWD: 'join policy SESSIONPWD: the conference password is missing or wrong',
  PUBLIC: 'join policy PUBLIC: a signed-in account is needed',
};

/** Wrong conference passwords per user and conference before 429 (each costs an argon2id verification anyway). */
const PASSWORD_ATTEMPTS = 10;
const PASSWORD_WINDOW_MS = 10 * 60_000;

type Executor = Kysely<Database> | Transaction<Database>;

/** The conference access rules (see docs/api.md, "Who may do what"). */
export class AccessPolicy {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#limiter = new RateLimiter(deps.db);
  }

  /** The stored form of a SESSIONPWD password: an argon2id hash, never the password. */
  hashJoinPassword(password: string): Promise<string> {
    return hashPassword(password);
  }

  /** Resolves when allowed; throws 403 `forbidden` naming the rule (or 429 after many wrong passwords). */
  async require(who: Subject, conference: ConferenceAccess, action: ConferenceAction, executor: Executor = this.#db.kysely): Promise<void> {
    if (action.do === 'join' && who.kind === 'user' && who.id !== conference.ownerId && (await this.#isRemoved(executor, conference.sessionId, who.id))) {
      throw forbidden('you were removed from this conference by its owner');
    }
    if (!(await this.#allows(who, conference, action, executor))) throw forbidden(this.#refusal(conference, action));
  }

  /** True when allowed (same rules as require, without throwing). */
  async allows(who: Subject, conference: ConferenceAccess, action: ConferenceAction, executor: Executor = this.#db.kysely): Promise<boolean> {
    return this.#allows(who, conference, action, executor);
  }

  /** Which of these files the caller sees: the owner all; others their own uploads, and shared ones once admitted. */
  async visibleFiles<F extends FileAccess>(who: Subject, conference: ConferenceAccess, files: F[]): Promise<F[]> {
    if (who.kind !== 'user') return [];
    if (who.id === conference.ownerId) return files;
    const admitted = await this.#isMember(this.#db.kysely, conference.sessionId, who.id, 'admitted');
    return files.filter((f) => f.uploaderId === who.id || (admitted && f.shared));
  }

  /** Records that a user passed the join policy (in the join's transaction): uploads and shared files need it. */
  async admit(executor: Executor, sessionId: string, userId: string): Promise<void> {
    await executor
      .insertInto('conference_members')
      .values({ session_id: sessionId, user_id: userId, role: 'admitted' })
      .onConflict((oc) => oc.columns(['session_id', 'user_id', 'role']).doNothing())
      .execute();
  }

  /** Takes back an admission (a kicked user must pass the policy again, password included). */
  async revokeAdmission(sessionId: string, userId: string): Promise<void> {
    await this.#db.kysely.deleteFrom('conference_members').where('session_id', '=', sessionId).where('user_id', '=', userId).where('role', '=', 'admitted').execute();
  }

  async #allows(who: Subject, c: ConferenceAccess, action: ConferenceAction, executor: Executor): Promise<boolean> {
    if (who.kind === 'recorder') return action.do === 'upload' && action.kind === 'recording';
    const owner = who.id === c.ownerId;
    switch (action.do) {
      case 'manage':
        return owner;
      case 'join':
        // Someone the owner removed (a kick in the room) stays out, whatever the policy (removals.ts).
        return owner || (!(await this.#isRemoved(executor, c.sessionId, who.id)) && (await this.#mayJoin(who.id, c, action.password, executor)));
      case 'upload':
        // Recordings: the owner (and the recorder); attachments: the owner and users admitted to the call.
        return owner || (action.kind === 'attachment' && (await this.#isMember(executor, c.sessionId, who.id, 'admitted')));
      case 'list_files':
        return owner || (await this.#isMember(executor, c.sessionId, who.id, 'admitted'));
      case 'read_file':
        if (owner || action.file.uploaderId === who.id) return true;
        return action.file.shared && (await this.#isMember(executor, c.sessionId, who.id, 'admitted'));
    }
  }

  async #mayJoin(userId: string, c: ConferenceAccess, password: string | undefined, executor: Executor): Promise<boolean> {
    // Someone already admitted comes back (a reload, a second device) without proving it again.
    if (await this.#isMember(executor, c.sessionId, userId, 'admitted')) return true;
    switch (c.joinPolicy) {
      case 'PUBLIC':
        return true;
      case 'ORG':
        // Without organisations every account is a colleague; organisations will narrow this here.
        return true;
      case 'RESTRICT':
        return this.#isMember(executor, c.sessionId, userId, 'invited');
      case 'SESSIONPWD':
        return this.#checkPassword(userId, c, password);
    }
  }

  async #checkPassword(userId: string, c: ConferenceAccess, password: string | undefined): Promise<boolean> {
    if (!password || !c.joinPasswordHash) return false;
    const key = `join-password:${c.sessionId}:${userId}`;
    const now = this.#clock.now();
    // argon2's verify compares the derived hashes in constant time.
    if (await verifyPassword(c.joinPasswordHash, password)) return true;
    const hit = await this.#limiter.hit(key, PASSWORD_WINDOW_MS, now);
    if (hit.count > PASSWORD_ATTEMPTS) {
      const retryAfter = Math.max(1, Math.ceil((hit.resetAt - now) / 1000));
      throw new AppError('rate_limited', `too many wrong conference passwords; try again in ${retryAfter} s`, { 'Retry-After': String(retryAfter) });
    }
    return false;
  }

  async #isRemoved(executor: Executor, sessionId: string, userId: string): Promise<boolean> {
    const row = await executor.selectFrom('conference_removals').select('subject').where('session_id', '=', sessionId).where('subject', '=', `user:${userId}`).executeTakeFirst();
    return row !== undefined;
  }

  async #isMember(executor: Executor, sessionId: string, userId: string, role: 'invited' | 'admitted'): Promise<boolean> {
    const row = await executor
      .selectFrom('conference_members')
      .select('user_id')
      .where('session_id', '=', sessionId)
      .where('user_id', '=', userId)
      .where('role', '=', role)
      .executeTakeFirst();
    return row !== undefined;
  }

  #refusal(c: ConferenceAccess, action: ConferenceAction): string {
    switch (action.do) {
      case 'manage':
        return 'only the conference owner may do this';
      case 'join':
        return POLICY_REFUSAL[c.joinPolicy];
      case 'upload':
        return action.kind === 'recording' ? 'only the owner (or the recorder) may upload recordings' : 'only the owner and users admitted to the call may upload attachments';
      case 'list_files':
        return 'only the owner and users admitted to the call may see this conference’s files';
      case 'read_file':
        return 'this file is visible to the owner and its uploader, and to participants once the owner shares it';
    }
  }
}

/** The policy's view of a conferences row. */
export const accessOf = (row: { session_id: string; owner_id: string; join_policy: JoinPolicy; join_password_hash: string | null }): ConferenceAccess => ({
  sessionId: row.session_id,
  ownerId: row.owner_id,
  joinPolicy: row.join_policy,
  joinPasswordHash: row.join_password_hash,
});
