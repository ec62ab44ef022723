// One webhook POST: to the address the policy checked (pinned: the name is not resolved again), within a deadline,
// reading at most a few KiB of the answer, following no redirect. The outcome says what happened, never throws.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { WebhookRefused, type Resolve, type WebhookAddressPolicy } from './address-policy.js';

/** The answer's bytes kept (for last_error); the rest is not read: the connection is dropped. */
const RESPONSE_CAP = 4096;

export type SendOutcome = { ok: true; status: number } | { ok: false; status: number | null; error: string; refused?: boolean };

export interface SenderOptions {
  policy: WebhookAddressPolicy;
  resolve: Resolve;
  timeoutMs: number;
}

/** Sends webhook bodies; keeps connections alive between deliveries to the same host (each checked when opened). */
export class WebhookSender {
  readonly #opts: SenderOptions;
  readonly #agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'fifo' }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 64, scheduling: 'fifo' }),
  };

  constructor(opts: SenderOptions) {
    this.#opts = opts;
  }

  async send(url: URL, body: string, headers: Record<string, string>): Promise<SendOutcome> {
    let target: { address: string; family: 4 | 6 };
    try {
      target = await this.#opts.policy.resolve(url, this.#opts.resolve);
    } catch (error) {
      if (error instanceof WebhookRefused) return { ok: false, status: null, error: `refused: ${error.message}`, refused: true };
      return { ok: false, status: null, error: `DNS: ${describe(error)}` };
    }
    // The connection goes to the checked address, whatever a second resolution would say (DNS rebinding).
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
      else callback(null, target.address, target.family);
    };
    const agent = url.protocol === 'https:' ? this.#agents['https:'] : this.#agents['http:'];
    const request = url.protocol === 'https:' ? https.request : http.request;
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: SendOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        resolve(outcome);
      };
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          lookup: pinned,
          headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'V4H-Webhooks/1' },
        },
        (res) => {
          const status = res.statusCode ?? 0;
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < RESPONSE_CAP) {
              chunks.push(chunk.subarray(0, RESPONSE_CAP - kept));
              kept += Math.min(chunk.length, RESPONSE_CAP - kept);
            } else {
              // More than we keep: stop reading (and drop the connection rather than drain an endless answer).
              res.destroy();
            }
          });
          const done = () => {
            if (status >= 200 && status < 300) return finish({ ok: true, status });
            const text = Buffer.concat(chunks).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 200);
            const what = status >= 300 && status < 400 ? `redirect not followed (${res.headers.location ? 'to another URL' : 'no location'})` : 'not 2xx';
            finish({ ok: false, status, error: `HTTP ${status}: ${what}${text ? `: ${text}` : ''}` });
          };
          res.on('end', done);
          res.on('close', done);
          res.on('error', done);
        },
      );
      const deadline = setTimeout(() => {
        req.destroy();
        finish({ ok: false, status: null, error: `timeout: no complete answer within ${this.#opts.timeoutMs} ms` });
      }, this.#opts.timeoutMs);
      req.on('error', (error) => finish({ ok: false, status: null, error: describe(error) }));
      req.end(body);
    });
  }

  close(): void {
    this.#agents['http:'].destroy();
    this.#agents['https:'].destroy();
  }
}

function describe(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  if (e.code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)';
  if (e.code === 'ECONNRESET') return 'connection reset (ECONNRESET)';
  if (e.code === 'ENOTFOUND') return 'no such host (ENOTFOUND)';
  return `${e.code ? `${e.code}: ` : ''}${e.message ?? String(error)}`.slice(0, 300);
}
