// What a `v4h` subcommand is: its I/O, its shape, and the error that carries an exit status.
import { describeDatabaseUrl } from '../config.js';

/** The process streams and environment a command may use (tests pass their own). */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Environment for loadConfig; undefined means process.env (read by config.ts). */
  env?: Record<string, string | undefined>;
}

/** Every command that opens the database says which one first (on stderr, so stdout stays the command's output). */
export function announceDatabase(io: Pick<CliIo, 'stderr'>, databaseUrl: string): void {
  io.stderr.write(`database: ${describeDatabaseUrl(databaseUrl)}\n`);
}

/** A subcommand: `usage` starts with its words (`user add <username>`), `run` resolves when it is done. */
export interface Command {
  usage: string;
  summary: string;
  /** `args` are the words after the command's own; resolves to nothing for success. */
  run(args: string[], io: CliIo): Promise<void | 'running'>;
}

/** A failure with its exit status: 1 for a failed action, 2 for bad usage or configuration. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
