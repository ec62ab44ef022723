// A third-party "clinic" page on its own origin that embeds V4H with one script tag, as integrators do.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Clinic {
  /** http://127.0.0.1:<port> */
  origin: string;
  /** The V4H server whose /v4h.js the page loads (set once that server runs). */
  v4hUrl: string;
  close(): Promise<void>;
}

export async function startClinic(): Promise<Clinic> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Clinic</title>
<script src="${clinic.v4hUrl}/v4h.js"></script></head>
<body><h1>Clinic</h1><div id="call"></div><div id="other"></div></body></html>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clinic: Clinic = {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    v4hUrl: '',
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return clinic;
}
