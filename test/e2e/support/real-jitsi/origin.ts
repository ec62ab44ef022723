// A Jitsi origin for tests that serves jitsi-meet's REAL external_api.js: the npm package @jitsi/react-native-sdk
// ships jitsi-meet's modules/API/external unchanged; it is fetched once with `npm pack` (npm registry only, no install
// scripts, none of its React Native dependencies) into node_modules/.cache and bundled with esbuild together with
// @jitsi/js-utils, @jitsi/logger and events from npm. Meeting pages speak Jitsi's own postMessage transport.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { build } from 'esbuild';
import { selfSignedCertificate } from '../stand-in-jitsi/server.js';

const SDK = '@jitsi/react-native-sdk@13.2.0';
const repoRoot = path.resolve(new URL('../../../../', import.meta.url).pathname);
const cacheDir = path.join(repoRoot, 'node_modules', '.cache', 'v4h-real-jitsi-13.2.0');
const here = path.dirname(new URL(import.meta.url).pathname);

/** Unpacks the published package once (kept in node_modules/.cache between runs). */
function unpackSdk(): string {
  const entry = path.join(cacheDir, 'package', 'modules', 'API', 'external', 'external_api.js');
  if (fs.existsSync(entry)) return entry;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-rn-sdk-'));
  execFileSync('npm', ['pack', SDK, '--silent', '--ignore-scripts', '--pack-destination', tmp], { cwd: tmp, stdio: ['ignore', 'pipe', 'inherit'] });
  const tarball = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'))!;
  fs.mkdirSync(cacheDir, { recursive: true });
  execFileSync('tar', ['xzf', path.join(tmp, tarball), '-C', cacheDir, 'package/modules', 'package/react/features', 'package/package.json']);
  fs.rmSync(tmp, { recursive: true, force: true });
  return entry;
}

async function bundle(entry: string, globalName?: string): Promise<string> {
  const contents = globalName ? `import API from ${JSON.stringify(entry)}; window.${globalName} = API;` : `import ${JSON.stringify(entry)};`;
  const result = await build({
    stdin: { contents, resolveDir: repoRoot, loader: 'js' },
    bundle: true,
    format: 'iife',
    write: false,
    platform: 'browser',
    loader: { '.js': 'jsx' },
    // jitsi-meet's web build picks *.web.* files first.
    resolveExtensions: ['.web.ts', '.web.js', '.ts', '.tsx', '.js'],
    define: { __filename: '"external_api.js"' },
    nodePaths: [path.join(repoRoot, 'node_modules')],
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}

export interface RealJitsiOrigin {
  /** https://127.0.0.1:<port> */
  origin: string;
  /** What the next meeting pages do: join, fatal (errorOccurred), password (passwordRequired), breakout (left + re-join). */
  behaviour: 'join' | 'fatal' | 'password' | 'breakout';
  /** Paths of the meeting pages requested (with their query), in order. */
  pages: string[];
  /** Paths external_api.js was requested at. */
  scripts: string[];
  close(): Promise<void>;
}

export async function startRealJitsiOrigin(): Promise<RealJitsiOrigin> {
  const api = await bundle(unpackSdk(), 'JitsiMeetExternalAPI');
  const page = await bundle(path.join(here, 'iframe-page.js'));
  const server = https.createServer(selfSignedCertificate(), (req, res) => {
    const url = new URL(req.url ?? '/', 'https://origin');
    if (url.pathname.endsWith('/external_api.js')) {
      origin.scripts.push(url.pathname);
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return void res.end(api);
    }
    if (url.pathname === '/_real/page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' });
      return void res.end(page);
    }
    origin.pages.push(`${url.pathname}${url.search}`);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><html lang="en" data-behaviour="${origin.behaviour}"><head><meta charset="utf-8"><title>Jitsi</title></head><body><script src="/_real/page.js"></script></body></html>`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin: RealJitsiOrigin = {
    origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    behaviour: 'join',
    pages: [],
    scripts: [],
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return origin;
}
