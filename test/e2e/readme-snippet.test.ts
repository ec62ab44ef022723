// Issue 16 items 1 and 6: the README's snippet, copied verbatim from README.md, runs as pasted in Chromium from a
// second origin (the call starts); without V4H_CORS_ORIGINS the server's log names the variable
// and the origin; and no README or doc tells a reader to fetch the unpublished packages from the public registry.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../../packages/server/src/test-support/test-app.js';
import { launchChromium } from './support/browser.js';
import { ensureClientBuilt } from './support/build-client.js';

const root = new URL('../../', import.meta.url);
const readme = fs.readFileSync(new URL('README.md', root), 'utf8');

/** The README's first html block: the snippet an integrator pastes. */
function readmeSnippet(): string {
  const block = /```html\n([\s\S]*?)```/.exec(readme);
  if (!block) throw new Error('README.md has no ```html block');
  return block[1];
}

/** The address the snippet names for the V4H server (replaced by the test server's, the one thing that must differ). */
const SNIPPET_SERVER = 'http://127.0.0.1:8080';

interface Clinic {
  origin: string;
  close(): Promise<void>;
}

/** A second origin serving a page whose body is the snippet, pointed at `v4hUrl`. */
async function startClinicPage(snippet: () => string): Promise<Clinic> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clinic</title></head><body>\n${snippet()}</body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A server whose log lines (JSON) the test reads. */
async function startServer(env: Record<string, string>): Promise<{ server: TestApp; log: () => Array<Record<string, unknown>> }> {
  let text = '';
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  const server = await createTestApp({ env, logStream });
  // The snippet signs in as the README's first user.
  await server.createUser('dr.ana', 'a long passphrase');
  return {
    server,
    log: () =>
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line)),
  };
}

let browser: Browser;
let clinic: Clinic;
let v4hUrl = '';
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  ensureClientBuilt();
  expect(readmeSnippet()).toContain(SNIPPET_SERVER);
  clinic = await startClinicPage(() => readmeSnippet().replaceAll(SNIPPET_SERVER, v4hUrl));
  browser = await launchChromium();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await browser?.close();
  await clinic?.close();
});

async function openPage(): Promise<{ page: Page; console: ConsoleMessage[]; errors: Error[] }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  contexts.push(context);
  const page = await context.newPage();
  const messages: ConsoleMessage[] = [];
  const errors: Error[] = [];
  page.on('console', (m) => messages.push(m));
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(`${clinic.origin}/`);
  return { page, console: messages, errors };
}

describe("the README's snippet, verbatim, from a second origin", () => {
  it('with V4H_CORS_ORIGINS naming that origin: signs in, the call starts, the guest link is made', async () => {
    const { server } = await startServer({ V4H_CORS_ORIGINS: clinic.origin });
    v4hUrl = server.baseUrl;
    try {
      const { page, console: messages, errors } = await openPage();
      await expect
        .poll(() => messages.find((m) => m.text().startsWith('in the call; the patient joins at'))?.text(), { timeout: 60_000 })
        .toMatch(new RegExp(`^in the call; the patient joins at ${server.baseUrl}/`));
      expect(errors.map((e) => e.message)).toEqual([]);
      const iframe = page.locator('#meet > iframe');
      expect(await iframe.count()).toBe(1);
      expect(new URL((await iframe.getAttribute('src'))!).origin).toBe(server.baseUrl);
      // The call is started on the server, by dr.ana.
      const row = await server.db.kysely.selectFrom('conferences').select(['state', 'owner_id']).executeTakeFirstOrThrow();
      expect(row.state).toBe('started');
      // Issue 16 item 12: `allowfullscreen` next to `allow` made Chromium warn on every integrator page.
      expect(await iframe.getAttribute('allowfullscreen')).toBeNull();
      expect(await iframe.getAttribute('allow')).toBe('fullscreen; camera; microphone; display-capture; autoplay');
      await page.waitForTimeout(1000); // the room's own start-up messages
      const warnings = messages.filter((m) => m.type() === 'warning' || m.type() === 'error').map((m) => m.text());
      expect(warnings.filter((w) => /allowfullscreen|allow attribute/i.test(w))).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('without V4H_CORS_ORIGINS: the page gets a network_error and the server log names V4H_CORS_ORIGINS and the origin to add', async () => {
    const { server, log } = await startServer({});
    v4hUrl = server.baseUrl;
    try {
      const { errors } = await openPage();
      await expect.poll(() => errors.length, { timeout: 30_000 }).toBe(1);
      expect(errors[0].message).toContain('POST /api/auth/login failed');
      await expect
        .poll(() => log().find((l) => l.level === 40 && String(l.msg).includes('V4H_CORS_ORIGINS'))?.msg)
        .toBe(
          `cross-origin request from ${clinic.origin} refused: add the origin to V4H_CORS_ORIGINS (V4H_CORS_ORIGINS=${clinic.origin}) to let that page call this server`,
        );
    } finally {
      await server.close();
    }
  });
});

describe('the docs use the packages from this repository (not published yet)', () => {
  it('no command in a README or doc fetches @v4h/* or v4h from the public registry', () => {
    const files = ['README.md', ...fs.readdirSync(new URL('docs/', root)).map((f) => `docs/${f}`), 'packages/react/README.md', 'examples/react/README.md'];
    for (const file of files.filter((f) => f.endsWith('.md') && fs.existsSync(new URL(f, root)))) {
      const text = fs.readFileSync(new URL(file, root), 'utf8');
      const code = [...text.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]).join('\n');
      expect(code, file).not.toMatch(/\bnpx (--\S+ )*v4h\b|\bnpm (i|install|add) (\S+ )*@v4h\//);
    }
    expect(readme).toContain('node packages/server/bin/v4h.js user add dr.ana');
    expect(readme).toContain('npm pack -w @v4h/client');
  });
});
