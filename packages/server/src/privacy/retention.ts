// The retention job (issue 19): files' bytes go V4H_RETENTION_DAYS after their upload, conferences' personal data
// V4H_PERSONAL_DATA_RETENTION_DAYS after their end, both through the erasure path (reason `retention`), so the
// record gains `file_deleted` and `erased` events and every manifest keeps verifying. State lives in the data itself
// (what is due is what is old and not yet removed), so a restart simply resumes; one process at a time runs a pass
// (a lease), and every step is idempotent, so a pass cut short by a crash is finished by the next one.
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { acquireLease, releaseLease } from '../db/lease.js';
import { startPeriodicJob, type PeriodicJob } from '../lib/periodic-job.js';
import type { FileService } from '../storage/service.js';
import type { ErasureService } from './erasure.js';
import type { AccessAudit } from '../audit/access-audit.js';

export interface RetentionPolicy {
  /** Days after upload before a file's bytes are deleted; undefined: kept. */
  fileDays?: number;
  /** Days after a conference ends before its personal data is erased; undefined: kept. */
  personalDataDays?: number;
  /** Days the access audit's rows are kept; undefined: always. */
  auditDays?: number;
}

/** What one pass removed, by id (the same ids as its `file_deleted` and `erased` events and its retention_runs row). */
export interface RetentionReport {
  filesDeleted: string[];
  conferencesErased: string[];
  /** Access-audit rows past their retention (counted: they name nothing the record needs). */
  auditRowsDeleted: number;
}

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RetentionJobDeps {
  db: Db;
  clock: Clock;
  files: FileService;
  erasure: ErasureService;
  audit?: AccessAudit;
  policy: RetentionPolicy;
  log?: Log;
  /** Items fetched per query (default 100). */
  batch?: number;
}

const DAY_MS = 86_400_000;
/** How long a pass may go without renewing its lease before another process may take over (after a crash). */
export const RETENTION_LEASE_MS = 10 * 60_000;
const LEASE = 'retention';

export class RetentionJob {
  readonly #deps: RetentionJobDeps;
  readonly #holder = newId();

  constructor(deps: RetentionJobDeps) {
    this.#deps = deps;
  }

  /** True when the policy removes anything at all (else no pass is ever started). */
  get enabled(): boolean {
    const { fileDays, personalDataDays, auditDays } = this.#deps.policy;
    return fileDays !== undefined || personalDataDays !== undefined || auditDays !== undefined;
  }

  /**
   * Runs one pass: removes everything due now, `maxItems` at most (tests cut a pass short with it). Returns what it
   * removed, or undefined when another process holds the lease (it is running a pass).
   */
  async runOnce(options: { maxItems?: number } = {}): Promise<RetentionReport | undefined> {
    // The lease keeps other processes out, not this one (its holder id renews it): one pass at a time here too.
    if (this.#running) return undefined;
    this.#running = true;
    try {
      return await this.#pass(options.maxItems ?? Infinity);
    } finally {
      this.#running = false;
    }
  }

  #running = false;

  async #pass(maxItems: number): Promise<RetentionReport | undefined> {
    const { db, clock } = this.#deps;
    const started = clock.now();
    if (!(await this.#renew())) return undefined;
    const report: RetentionReport = { filesDeleted: [], conferencesErased: [], auditRowsDeleted: 0 };
    let budget = maxItems;
    try {
      if (this.#deps.policy.fileDays !== undefined) {
        budget = await this.#deleteFiles(started - this.#deps.policy.fileDays * DAY_MS, report, budget);
      }
      if (this.#deps.policy.personalDataDays !== undefined) {
        await this.#erasePersonalData(started - this.#deps.policy.personalDataDays * DAY_MS, report, budget);
      }
      if (this.#deps.policy.auditDays !== undefined && this.#deps.audit) {
        const cutoff = started - this.#deps.policy.auditDays * DAY_MS;
        for (let n = 1; n > 0 && (await this.#renew()); report.auditRowsDeleted += n) n = await this.#deps.audit.deleteBefore(cutoff, 10_000);
      }
    } finally {
      if (report.filesDeleted.length || report.conferencesErased.length || report.auditRowsDeleted) {
        await db.kysely
          .insertInto('retention_runs')
          .values({ id: newId(), started_at: started, finished_at: clock.now(), removed: JSON.stringify(report) })
          .execute()
          .catch((err: unknown) => this.#deps.log?.error({ err }, 'retention: recording the pass failed'));
        const { filesDeleted, conferencesErased, auditRowsDeleted } = report;
        this.#deps.log?.info(
          { filesDeleted: filesDeleted.length, conferencesErased: conferencesErased.length, auditRowsDeleted },
          'retention pass removed data',
        );
      }
      await releaseLease(db.kysely, LEASE, this.#holder);
    }
    return report;
  }

  #renew(): Promise<boolean> {
    return acquireLease(this.#deps.db.kysely, LEASE, this.#holder, this.#deps.clock.now(), RETENTION_LEASE_MS);
  }

  /** Deletes the bytes of files uploaded before `cutoff`, oldest first; returns the budget left. */
  async #deleteFiles(cutoff: number, report: RetentionReport, budget: number): Promise<number> {
    const batch = this.#deps.batch ?? 100;
    while (budget > 0) {
      const due = await this.#deps.db.kysely
        .selectFrom('files')
        .selectAll()
        .where('created_at', '<', cutoff)
        .where('deleted_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .limit(Math.min(batch, budget))
        .execute();
      for (const file of due) {
        if (!(await this.#renew())) return 0; // lost the lease (a pass slower than its lease): the other holder goes on
        try {
          if (await this.#deps.files.deleteBytes(file, 'retention', 'system')) report.filesDeleted.push(file.id);
        } catch (err) {
          // Storage down: stop here rather than retry the same file in a loop; the next pass tries again.
          this.#deps.log?.warn({ err, fileId: file.id }, 'retention: deleting a file failed; the next pass retries');
          return 0;
        }
        budget--;
      }
      if (due.length < batch) break;
    }
    return budget;
  }

  /** Erases the personal data of conferences that ended before `cutoff`, oldest first. */
  async #erasePersonalData(cutoff: number, report: RetentionReport, budget: number): Promise<void> {
    const batch = this.#deps.batch ?? 100;
    while (budget > 0) {
      const due = await this.#deps.db.kysely
        .selectFrom('conferences')
        .select('session_id')
        .where('ended_at', '<', cutoff)
        .where('personal_data_erased_at', 'is', null)
        .orderBy('ended_at')
        .orderBy('session_id')
        .limit(Math.min(batch, budget))
        .execute();
      for (const { session_id: sessionId } of due) {
        if (!(await this.#renew())) return;
        const erased = await this.#deps.erasure.erase({ sessionId }, { files: false, reason: 'retention', actor: 'system', once: true });
        if (erased.conferences.length) report.conferencesErased.push(sessionId);
        budget--;
      }
      if (due.length < batch) break;
    }
  }
}

/** Runs a pass every `intervalSeconds` (the first one a few seconds after start); stop() waits for a pass in progress. */
export function startRetentionJob(job: RetentionJob, intervalSeconds: number, log: Log): PeriodicJob {
  if (!job.enabled) return { stop: async () => {} };
  return startPeriodicJob(() => job.runOnce(), {
    name: 'retention pass',
    intervalMs: intervalSeconds * 1000,
    firstDelayMs: Math.min(intervalSeconds, 10) * 1000,
    log,
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The retention job (tests call runOnce() with a moved clock). */
    privacy: { retention: RetentionJob };
  }
}
