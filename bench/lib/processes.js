// Starting and stopping the server under test and the load generator, each in its own process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

const SERVER_ENTRY = fileURLToPath(new URL('./server.js', import.meta.url));
const LOAD_ENTRY = fileURLToPath(new URL('./load.js', import.meta.url));

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/**
 * Spawns `bench/lib/server.js <kind>` with `env` added to this process's environment and resolves once it
 * prints READY. `nodeArgs` go before the script (e.g. `--cpu-prof`). `stop()` sends SIGTERM and waits;
 * `kill()` sends SIGKILL (crash tests).
 */
export async function startServerProcess({ kind = 'v4h', env = {}, nodeArgs = [], port } = {}) {
  port ??= await freePort();
  const child = spawn(process.execPath, [...nodeArgs, SERVER_ENTRY, kind], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), V4H_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${output}`)), 30_000);
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /READY (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  const exited = once(child, 'exit');
  return {
    url,
    port,
    pid: child.pid,
    child,
    /** Everything the server wrote so far (stdout and stderr). */
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Runs one load scenario (see load.js) in a child process and resolves with its JSON summary.
 * `scenario` must be JSON-serializable.
 */
export async function runLoad(scenario, { signal } = {}) {
  const child = spawn(process.execPath, [LOAD_ENTRY], { stdio: ['pipe', 'pipe', 'pipe'], signal });
  child.stdin.end(JSON.stringify(scenario));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`load generator failed (${code}):\n${stderr}`);
  return JSON.parse(stdout.trim().split('\n').pop());
}
