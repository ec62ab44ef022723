// Types of processes.js for the TypeScript tests that share it (test/reliability, test/e2e); the benchmarks run it as plain JS.
import type { ChildProcess } from 'node:child_process';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number>;

/** A server under test in its own process (bench/lib/server.js). */
export interface ServerProcess {
  url: string;
  port: number;
  pid: number | undefined;
  child: ChildProcess;
  /** Everything the server wrote so far (stdout and stderr). */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s; resolves when it has exited. */
  stop(): Promise<void>;
  /** SIGKILL (crash tests); resolves when it has exited. */
  kill(): Promise<void>;
}

export function startServerProcess(options?: { kind?: string; env?: Record<string, string>; nodeArgs?: string[]; port?: number }): Promise<ServerProcess>;

/** The JSON summary load.js prints. */
export interface LoadSummary {
  requestsPerSecond: number;
  totalRequests: number;
  durationSeconds: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  /** Answers by HTTP status. */
  statuses: Record<string, number>;
  steps: Record<string, Record<string, number>>;
  /** The first few failed answers. */
  samples: { status: number; body: string }[];
}

/** Runs one load scenario (see load.js) in a child process; `scenario` must be JSON-serializable. */
export function runLoad(scenario: Record<string, unknown>, options?: { signal?: AbortSignal }): Promise<LoadSummary>;
