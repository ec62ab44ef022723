// `v4h verify … --key --attribute --value [--commitment]`: does a commitment in the record open to this value?
import { computeCommitment, type ManifestBundle } from '@v4h/protocol/verify';
import { CliError, type CliIo } from './command.js';

export const COMMITMENT_OPTIONS = ['key', 'attribute', 'value', 'commitment'] as const;
export const COMMITMENT_USAGE = '[--key <subject key hex> --attribute <name> --value <text> [--commitment <hex>]]';

/** The commitment options of `v4h verify` (docs/manifest.md §1.1). */
export interface CommitmentArgs {
  key?: string;
  attribute?: string;
  value?: string;
  commitment?: string;
}

/**
 * Computes the commitment of `--value` under `--key` and checks it against `--commitment`, or, with a bundle, finds
 * the event whose `data.commitments[attribute]` it is. Resolves to 0; a mismatch is a CliError with status 1.
 */
export async function checkCommitment(args: CommitmentArgs, bundle: ManifestBundle | undefined, io: Pick<CliIo, 'stdout'>): Promise<number> {
  if (args.key === undefined || args.attribute === undefined || args.value === undefined) {
    throw new CliError(`--key, --attribute and --value go together\nusage: v4h verify ${COMMITMENT_USAGE}`, 2);
  }
  if (!/^[0-9a-fA-F]{64}$/.test(args.key)) throw new CliError('--key: expected the subject key as 64 hex digits', 2);
  const computed = await computeCommitment(args.key, args.attribute, args.value);
  if (args.commitment !== undefined && computed !== args.commitment.toLowerCase()) {
    throw new CliError(`commitment mismatch: the value under this key commits to ${computed}, not ${args.commitment}`, 1);
  }
  if (bundle) {
    const event = bundle.manifests
      .flatMap((m) => m.manifest.events)
      .find((e) => (e.data as { commitments?: Record<string, unknown> }).commitments?.[args.attribute!] === computed);
    if (!event) throw new CliError(`no event of session ${bundle.sessionId} commits to this ${args.attribute}`, 1);
    io.stdout.write(`ok    commitment         event seq ${event.seq} (${event.type}) commits to this ${args.attribute}: ${computed}\n`);
    return 0;
  }
  io.stdout.write(`ok    commitment         ${args.attribute} under this key: ${computed}\n`);
  return 0;
}
