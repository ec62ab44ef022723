// The EVM ledger: one 0-value transaction per batch from the anchor account to itself, data = tag ‖ root.
// Every signed transaction is recorded in the outbox before it is broadcast, so a restart finds it again.
import { createPublicClient, http, keccak256, type Hex, type PublicClient, type TransactionReceipt } from 'viem';
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts';
import type { AnchorBatchesTable } from '../db/schema.js';
import type { Clock } from '../lib/clock.js';
import { EVM_ANCHOR_TAG } from '@v4h/protocol/verify';
import type { AnchorOutcome, AttemptStore, Ledger, LedgerDescription } from './ledger.js';

/** A signed transaction as recorded before broadcasting. */
export interface TxAttempt {
  hash: Hex;
  raw: Hex;
  nonce: number;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  signedAt: number;
}

export interface EvmLedgerOptions {
  rpcUrl: string;
  privateKey: Hex;
  confirmations: number;
  /** A transaction still pending after this long is replaced (same nonce, higher fees). */
  replaceAfterMs: number;
  clock: Clock;
  /** How long a run waits for a just-sent transaction to be mined before leaving it to the next run. */
  receiptWaitMs?: number;
  /** Fault injection for crash tests: called right after a transaction is recorded / broadcast. */
  faults?: { afterRecord?: () => void | Promise<void>; afterBroadcast?: () => void | Promise<void> };
}

const FEE_BUMP_PERCENT = 25n;

export class EvmLedger implements Ledger {
  readonly #client: PublicClient;
  readonly #account: PrivateKeyAccount;
  #chainId: number | undefined;

  private constructor(private readonly opts: EvmLedgerOptions) {
    this.#client = createPublicClient({ transport: http(opts.rpcUrl, { retryCount: 0, timeout: 10_000 }) });
    this.#account = privateKeyToAccount(opts.privateKey);
  }

  /** Creates the ledger; a node that is down at start is not fatal (the chain id is read on first use). */
  static async connect(opts: EvmLedgerOptions): Promise<EvmLedger> {
    const ledger = new EvmLedger(opts);
    await ledger.#chain().catch(() => undefined);
    return ledger;
  }

  get type(): string {
    return `evm:${this.#chainId ?? 'unknown'}`;
  }

  get address(): Hex {
    return this.#account.address;
  }

  describe(): LedgerDescription {
    return {
      type: this.type,
      chainId: this.#chainId,
      address: this.#account.address,
      anchorData: `a 0-value transaction from address to itself whose data is ${EVM_ANCHOR_TAG} followed by the 32-byte Merkle root`,
    };
  }

  async advance(batch: AnchorBatchesTable, store: AttemptStore): Promise<AnchorOutcome> {
    const chainId = await this.#chain();
    let attempts: TxAttempt[] = batch.tx_attempts ? (JSON.parse(batch.tx_attempts) as TxAttempt[]) : [];

    // Any recorded attempt mined? (A replaced transaction and its replacement share a nonce: at most one is.)
    for (const attempt of [...attempts].reverse()) {
      const receipt = await this.#receipt(attempt.hash);
      if (!receipt) continue;
      if (receipt.status === 'success') return this.#whenConfirmed(receipt, attempt, chainId);
      attempts = []; // reverted (not expected for a plain transfer): start again with a fresh nonce
      break;
    }

    if (attempts.length > 0) {
      const newest = attempts[attempts.length - 1];
      const minedNonce = await this.#client.getTransactionCount({ address: this.#account.address, blockTag: 'latest' });
      if (minedNonce > newest.nonce) {
        // Mined meanwhile (look again), or the nonce went to a transaction we did not record (the key is used
        // elsewhere): then ours can never be mined and the batch needs a new transaction.
        const mined = await this.#checkOnce(attempts, chainId);
        if (mined.status === 'anchored') return mined;
        for (const attempt of attempts) if (await this.#receipt(attempt.hash)) return { status: 'submitted' };
        // Otherwise none of them will be mined: a new transaction with a fresh nonce, below.
      } else {
        const known = await this.#client.getTransaction({ hash: newest.hash }).catch(() => null);
        if (!known) {
          // Recorded but never broadcast (crash), or dropped by the node: send the very same bytes again.
          await this.#broadcast(newest.raw);
        } else if (this.opts.clock.now() - newest.signedAt > this.opts.replaceAfterMs) {
          const replacement = await this.#sign(batch.root, newest.nonce, chainId, newest);
          attempts.push(replacement);
          await store.recordTxAttempts(batch.id, newest.nonce, JSON.stringify(attempts));
          await this.#broadcast(replacement.raw);
        }
        return this.#checkOnce(attempts, chainId);
      }
    }

    const nonce = await this.#client.getTransactionCount({ address: this.#account.address, blockTag: 'pending' });
    const attempt = await this.#sign(batch.root, nonce, chainId);
    await store.recordTxAttempts(batch.id, nonce, JSON.stringify([attempt]));
    await this.opts.faults?.afterRecord?.();
    await this.#broadcast(attempt.raw);
    await this.opts.faults?.afterBroadcast?.();
    return this.#checkOnce([attempt], chainId);
  }

  /** Waits briefly for inclusion (dev chains and fast chains answer within a run); others are checked on the next run. */
  async #checkOnce(attempts: TxAttempt[], chainId: number): Promise<AnchorOutcome> {
    const deadline = Date.now() + (this.opts.receiptWaitMs ?? 3000);
    for (;;) {
      for (const attempt of [...attempts].reverse()) {
        const receipt = await this.#receipt(attempt.hash);
        if (receipt?.status === 'success') return this.#whenConfirmed(receipt, attempt, chainId);
      }
      if (Date.now() >= deadline) return { status: 'submitted' };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #whenConfirmed(receipt: TransactionReceipt, attempt: TxAttempt, chainId: number): Promise<AnchorOutcome> {
    // viem caches the block number for a few seconds by default: ask the node every time.
    const head = await this.#client.getBlockNumber({ cacheTime: 0 });
    if (head - receipt.blockNumber + 1n < BigInt(Math.max(1, this.opts.confirmations))) return { status: 'submitted' };
    const block = await this.#client.getBlock({ blockNumber: receipt.blockNumber });
    const anchoredAt = Number(block.timestamp) * 1000;
    return {
      status: 'anchored',
      dltId: attempt.hash,
      anchoredAt,
      anchor: {
        ledger: `evm:${chainId}`,
        anchoredAt: new Date(anchoredAt).toISOString(),
        chainId,
        address: this.#account.address,
        txHash: attempt.hash,
        blockNumber: Number(receipt.blockNumber),
      },
    };
  }

  async #sign(root: string, nonce: number, chainId: number, replacing?: TxAttempt): Promise<TxAttempt> {
    const data = `${EVM_ANCHOR_TAG}${root}` as Hex;
    const to = this.#account.address;
    let { maxFeePerGas, maxPriorityFeePerGas } = await this.#fees();
    if (replacing) {
      // Nodes accept a replacement only with both fees raised (geth: ≥ 10 %).
      const bump = (v: string) => (BigInt(v) * (100n + FEE_BUMP_PERCENT)) / 100n;
      maxFeePerGas = bump(replacing.maxFeePerGas) > maxFeePerGas ? bump(replacing.maxFeePerGas) : maxFeePerGas;
      maxPriorityFeePerGas = bump(replacing.maxPriorityFeePerGas) > maxPriorityFeePerGas ? bump(replacing.maxPriorityFeePerGas) : maxPriorityFeePerGas;
    }
    const gas = await this.#client.estimateGas({ account: this.#account.address, to, data, value: 0n });
    const raw = await this.#account.signTransaction({ type: 'eip1559', chainId, nonce, to, value: 0n, data, gas, maxFeePerGas, maxPriorityFeePerGas });
    return {
      hash: keccak256(raw),
      raw,
      nonce,
      maxFeePerGas: String(maxFeePerGas),
      maxPriorityFeePerGas: String(maxPriorityFeePerGas),
      signedAt: this.opts.clock.now(),
    };
  }

  async #fees(): Promise<{ maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }> {
    const block = await this.#client.getBlock({ blockTag: 'latest' });
    const priority = await this.#client
      .request({ method: 'eth_maxPriorityFeePerGas' } as never)
      .then((v) => BigInt(v as string))
      .catch(() => 1_000_000_000n);
    const base = block.baseFeePerGas ?? (await this.#client.getGasPrice());
    return { maxFeePerGas: base * 2n + priority, maxPriorityFeePerGas: priority };
  }

  async #broadcast(raw: Hex): Promise<void> {
    try {
      await this.#client.request({ method: 'eth_sendRawTransaction', params: [raw] });
    } catch (error) {
      // Already in the pool or already mined: the receipt check that follows decides.
      const message = String((error as Error).message ?? error).toLowerCase();
      if (/already known|known transaction|already imported|nonce too low|already exists/.test(message)) return;
      throw error;
    }
  }

  async #receipt(hash: Hex): Promise<TransactionReceipt | null> {
    try {
      return await this.#client.getTransactionReceipt({ hash });
    } catch (error) {
      if ((error as Error).name === 'TransactionReceiptNotFoundError') return null;
      throw error;
    }
  }

  async #chain(): Promise<number> {
    this.#chainId ??= await this.#client.getChainId();
    return this.#chainId;
  }
}
