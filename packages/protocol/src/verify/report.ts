// The outcome of a verification: named checks in order; the first failure stops the run.

/** Stable names of the checks, in the order they run for each manifest. */
export type CheckName =
  | 'bundle-format'
  | 'manifest-format'
  | 'event-hash'
  | 'event-chain'
  | 'manifest-link'
  | 'manifest-hash'
  | 'conference-hash'
  | 'merkle-proof'
  | 'anchor-status'
  | 'ledger-entry'
  | 'ledger-signature'
  | 'ledger-transaction';

export interface Check {
  name: CheckName;
  /** What was checked, e.g. "manifest 0 (seq 1–12)". */
  subject: string;
  ok: boolean;
  detail: string;
  /** True for a check that could not run (no ledger key, no JSON-RPC URL): neither held nor failed. */
  skipped?: true;
}

export interface VerificationReport {
  /** True when every check ran and held (a skipped check leaves it false, with `failure` null). */
  ok: boolean;
  checks: Check[];
  /** The first check that failed, if any. */
  failure: Check | null;
  /** Checks that could not run for want of a ledger key or a JSON-RPC URL: the record is not verified, nor refuted. */
  skipped: Check[];
}

/** Thrown inside the verifier to stop at the first failed check. */
export class CheckFailed extends Error {
  constructor(readonly check: Check) {
    super(`${check.name}: ${check.subject}: ${check.detail}`);
    this.name = 'CheckFailed';
  }
}

/** Collects checks; `fail` records and stops. */
export class Recorder {
  readonly checks: Check[] = [];
  constructor(private readonly onCheck?: (check: Check) => void) {}

  pass(name: CheckName, subject: string, detail: string): void {
    const check = { name, subject, ok: true, detail };
    this.checks.push(check);
    this.onCheck?.(check);
  }

  fail(name: CheckName, subject: string, detail: string): never {
    const check = { name, subject, ok: false, detail };
    this.checks.push(check);
    this.onCheck?.(check);
    throw new CheckFailed(check);
  }

  /** Records a check that could not run, and goes on with the others. */
  skip(name: CheckName, subject: string, detail: string): void {
    const check: Check = { name, subject, ok: false, detail, skipped: true };
    this.checks.push(check);
    this.onCheck?.(check);
  }

  get skipped(): Check[] {
    return this.checks.filter((c) => c.skipped);
  }

  expect(condition: boolean, name: CheckName, subject: string, passed: string, failed: string): void {
    if (condition) this.pass(name, subject, passed);
    else this.fail(name, subject, failed);
  }
}
