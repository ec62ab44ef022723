// A real coturn (Debian's `coturn` package, /usr/bin/turnserver) on loopback, with the TURN REST API's shared secret.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dgram from 'node:dgram';

export const TURNSERVER = '/usr/bin/turnserver';

/** A free UDP port on loopback (coturn listens on UDP and TCP; both are free in practice when UDP is). */
async function freeUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export interface Coturn {
  port: number;
  url: string;
  /** Everything turnserver wrote (verbose: every 401 is logged). */
  log(): string;
  stop(): Promise<void>;
}

/** Starts turnserver in the foreground with `use-auth-secret`; resolves once it listens. */
export async function startCoturn(secret: string, port?: number): Promise<Coturn> {
  if (!fs.existsSync(TURNSERVER)) throw new Error(`${TURNSERVER} missing: apt-get install coturn`);
  const listen = port ?? (await freeUdpPort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-coturn-'));
  const relayBase = 40_000 + Math.floor(Math.random() * 200) * 100;
  const args = [
    '-n', // no configuration file
    '--listening-ip=127.0.0.1',
    '--relay-ip=127.0.0.1',
    `--listening-port=${listen}`,
    `--min-port=${relayBase}`,
    `--max-port=${relayBase + 99}`,
    '--use-auth-secret',
    `--static-auth-secret=${secret}`,
    '--realm=v4h.test',
    '--fingerprint',
    '--allow-loopback-peers',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-tcp-relay',
    `--db=${path.join(dir, 'turndb')}`,
    `--pidfile=${path.join(dir, 'turnserver.pid')}`,
    '--log-file=stdout',
    '--simple-log',
    '--verbose',
  ];
  const child: ChildProcess = spawn(TURNSERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!/Total (UDP|General) servers|IPv4\. UDP listener opened on : 127\.0\.0\.1:/.test(output)) {
    if (child.exitCode !== null) throw new Error(`turnserver exited: ${output.slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`turnserver did not start: ${output.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: listen,
    url: `turn:127.0.0.1:${listen}?transport=udp`,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(killer);
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
