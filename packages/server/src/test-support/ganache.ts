// Test support: a real ganache 7 dev node on 127.0.0.1 (random port), started from node_modules/.bin, killed by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../node_modules/.bin/ganache');

/** Account 0 of `--wallet.deterministic`. */
export const GANACHE_KEY = '0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d';
export const GANACHE_ADDRESS = '0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1';

export interface DevChain {
  url: string;
  pid: number;
  /** Stops the node (the chain is kept on disk). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same chain. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });

async function rpc(url: string, method: string, params: unknown[] = []): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(body.error.message);
  return body.result;
}

export async function startDevChain(): Promise<DevChain> {
  const port = await freePort();
  const dbPath = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-ganache-'));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const chain: DevChain = {
    url,
    pid: 0,
    async start() {
      child = spawn(
        BIN,
        ['--server.host', '127.0.0.1', '--server.port', String(port), '--wallet.deterministic', '--logging.quiet', '--database.dbPath', dbPath],
        { stdio: 'ignore' },
      );
      chain.pid = child.pid!;
      const deadline = Date.now() + 30_000;
      for (;;) {
        try {
          await rpc(url, 'eth_chainId');
          return;
        } catch (error) {
          if (Date.now() > deadline || child.exitCode !== null) throw new Error(`ganache did not start: ${(error as Error).message}`, { cause: error });
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async stop() {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      process.kill(c.pid!, 'SIGTERM');
      await exited;
    },
    async destroy() {
      await chain.stop();
      fs.rmSync(dbPath, { recursive: true, force: true });
    },
  };
  await chain.start();
  return chain;
}

/** Transactions sent from an address so far (its mined nonce). */
export const minedNonce = async (url: string, address: string) => Number(await rpc(url, 'eth_getTransactionCount', [address, 'latest']));
export { rpc as devChainRpc };
