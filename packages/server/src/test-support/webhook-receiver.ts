// A webhook receiver for tests: real HTTP on 127.0.0.1, keeping every request's raw body and headers, answering as
// told (200, an error status, a redirect, never), and able to go away and come back on the same port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  body: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export type ReceiverMode = { answer: 'ok' } | { answer: 'status'; status: number } | { answer: 'redirect'; location: string } | { answer: 'hang' };

export class WebhookReceiver {
  readonly received: Received[] = [];
  mode: ReceiverMode = { answer: 'ok' };
  #server: http.Server | undefined;
  #port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  /** Listens (again on the same port after stop()). */
  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const mode = this.mode;
        // Only what was answered 2xx counts as received: the rest is what the sender must retry.
        if (mode.answer === 'hang') return;
        if (mode.answer === 'status') return res.writeHead(mode.status).end('receiver says no');
        if (mode.answer === 'redirect') return res.writeHead(302, { location: mode.location }).end();
        this.received.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers, at: Date.now() });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  /** Stops listening and cuts open connections: deliveries now meet "connection refused". */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The parsed bodies received so far. */
  events<T = { id: string; type: string; sessionId: string; eventSeq?: number; eventHash?: string; data: Record<string, unknown> }>(): T[] {
    return this.received.map((r) => JSON.parse(r.body) as T);
  }

  async waitFor(predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > until) throw new Error(`webhook receiver: not there after ${timeoutMs} ms (${this.received.length} received)`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
