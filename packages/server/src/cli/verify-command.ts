// `v4h verify <manifest.json>`: checks a manifest bundle offline (local ledger, given its key) or against an EVM node.
// Exit status: 0 every check holds; 1 a check failed (or the bundle or key could not be read); 2 bad usage;
// 3 not verified: every check that ran holds, but the ledger was not checked (no --ledger-key, or no --rpc).
import { readFile } from 'node:fs/promises';
import { verifyBundle, fromBase64, fromHex, type Check, type ManifestBundle } from '@v4h/protocol/verify';
import { checkCommitment, COMMITMENT_OPTIONS, COMMITMENT_USAGE, type CommitmentArgs } from './commitment-check.js';
import { CliError, type CliIo, type Command } from './command.js';

const USAGE = `verify <manifest.json> [--ledger-key <key|url>] [--rpc <url>] [--anchor-address <0x…>] ${COMMITMENT_USAGE}`;

interface VerifyArgs extends CommitmentArgs {
  file?: string;
  ledgerKey?: string;
  rpc?: string;
  anchorAddress?: string;
}

function parseArgs(argv: string[]): VerifyArgs {
  const options: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const match = new RegExp(`^--(ledger-key|rpc|anchor-address|${COMMITMENT_OPTIONS.join('|')})(?:=(.*))?$`).exec(arg);
    if (match) {
      const value = match[2] ?? argv[++i];
      if (value === undefined || (value === '' && match[1] !== 'value')) throw new CliError(`--${match[1]} needs a value\nusage: v4h ${USAGE}`, 2);
      options[match[1]] = value;
    } else if (arg.startsWith('--')) {
      throw new CliError(`unknown option ${arg}\nusage: v4h ${USAGE}`, 2);
    } else positional.push(arg);
  }
  const commitment = { key: options.key, attribute: options.attribute, value: options.value, commitment: options.commitment };
  // A commitment alone (--commitment with --key, --attribute, --value) needs no bundle.
  const alone = positional.length === 0 && commitment.commitment !== undefined;
  if (positional.length > 1 || (positional.length === 0 && !alone)) throw new CliError(`usage: v4h ${USAGE}`, 2);
  return { file: positional[0], ledgerKey: options['ledger-key'], rpc: options.rpc, anchorAddress: options['anchor-address'], ...commitment };
}

/** A raw Ed25519 key from hex or base64url, or the well-known document at a URL (which may also name the anchor address). */
async function resolveLedgerKey(value: string): Promise<{ key?: Uint8Array; address?: string }> {
  if (/^https?:\/\//.test(value)) {
    let doc: { publicKey?: string; address?: string };
    try {
      const res = await fetch(value);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      doc = (await res.json()) as typeof doc;
    } catch (error) {
      throw new CliError(`cannot read the ledger key from ${value}: ${(error as Error).message}`, 1);
    }
    return { key: doc.publicKey ? fromBase64(doc.publicKey) : undefined, address: doc.address };
  }
  const key = /^(0x)?[0-9a-fA-F]{64}$/.test(value) ? fromHex(value) : /^[A-Za-z0-9_-]{43}=?$/.test(value) ? fromBase64(value) : undefined;
  if (!key || key.length !== 32) throw new CliError('--ledger-key: expected 32 bytes as hex or base64url, or the URL of /.well-known/v4h-ledger.json', 2);
  return { key };
}

const line = (c: Check) => `${c.ok ? 'ok  ' : c.skipped ? 'skip' : 'FAIL'}  ${c.name.padEnd(18)} ${c.subject}: ${c.detail}\n`;

/** `v4h verify`'s exit status when the checks that ran hold but the ledger could not be checked. */
export const EXIT_NOT_CHECKED = 3;

/**
 * Runs the verification; resolves to 0 when every check holds. Throws a CliError with status 1 for a check that
 * failed, EXIT_NOT_CHECKED when the ledger was not checked for want of a key or a JSON-RPC URL.
 */
export async function runVerify(argv: string[], io: Pick<CliIo, 'stdout' | 'stderr'>): Promise<number> {
  const args = parseArgs(argv);
  if (args.file === undefined) return checkCommitment(args, undefined, io);
  let bundle: ManifestBundle;
  try {
    bundle = JSON.parse(await readFile(args.file, 'utf8')) as ManifestBundle;
  } catch (error) {
    throw new CliError(`cannot read ${args.file}: ${(error as Error).message}`, 1);
  }
  const resolved = args.ledgerKey ? await resolveLedgerKey(args.ledgerKey) : {};
  const report = await verifyBundle(bundle, {
    ledgerKey: resolved.key,
    rpcUrl: args.rpc,
    anchorAddress: args.anchorAddress ?? resolved.address,
    onCheck: (check) => io.stdout.write(line(check)),
  });
  if (report.failure) {
    const f = report.failure;
    throw new CliError(`verification failed at ${f.name} (${f.subject}): ${f.detail}`, 1);
  }
  if (report.skipped.length === 0) io.stdout.write(`verified: ${report.checks.length} checks hold for session ${bundle.sessionId}\n`);
  if (args.key !== undefined || args.commitment !== undefined) await checkCommitment(args, bundle, io);
  if (report.skipped.length > 0) {
    const held = report.checks.length - report.skipped.length;
    const local = report.skipped.some((c) => c.name === 'ledger-signature');
    // The bundle names no key of its own on purpose: a record cannot vouch for the key that signs it (docs/manifest.md §4).
    const how = local
      ? 'no ledger key: give --ledger-key <key> (a copy you trust) or --ledger-key https://<v4h server>/.well-known/v4h-ledger.json'
      : 'no JSON-RPC URL: give --rpc <url of a node of the chain>';
    throw new CliError(
      `not checked: ${how}; the ${held} checks that ran hold, none failed, but the record is not verified until its anchor is`,
      EXIT_NOT_CHECKED,
    );
  }
  return 0;
}

export const verifyCommand: Command = {
  usage: USAGE,
  summary: 'verify a conference record (the manifest bundle) offline or against its ledger',
  async run(args, io) {
    await runVerify(args, io);
  },
};
