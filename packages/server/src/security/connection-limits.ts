// Limits that keep slow or numerous clients from tying the server up: open connections per address, and a deadline
// for receiving a request's body (uploads excepted: they are held to a minimum transfer rate instead, storage/).
import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { addressBucket } from '../auth/service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route bounds its own body reads (streamed uploads: a minimum rate instead of a deadline). */
    ownBodyDeadline?: boolean;
  }
}

/**
 * Closes a new connection at once when its address (IPv6 per /64) already holds `max` open ones: 300 sockets each
 * trickling a body no longer fit in one client's reach. Behind trusted proxies every connection comes from a proxy,
 * so this is left to them (e.g. nginx limit_conn).
 */
export function limitConnectionsPerAddress(server: Server, max: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const key = addressBucket(socket.remoteAddress ?? '');
    const count = (open.get(key) ?? 0) + 1;
    if (count > max) {
      socket.destroy();
      return;
    }
    open.set(key, count);
    socket.once('close', () => {
      const left = open.get(key)! - 1;
      if (left > 0) open.set(key, left);
      else open.delete(key);
    });
  });
}

/**
 * Gives every request with a body `ms` to deliver all of it, then answers 408 and closes the connection (the body of
 * a login is a few hundred bytes; one sent a byte at a time must not hold memory and a socket for minutes). The
 * headers get the same bound from Node's headersTimeout.
 */
export function addBodyDeadline(app: FastifyInstance, ms: number): void {
  app.server.headersTimeout = ms;
  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw;
    const { headers } = raw;
    const hasBody = (headers['content-length'] !== undefined && headers['content-length'] !== '0') || headers['transfer-encoding'] !== undefined;
    if (!hasBody || raw.readableEnded || request.routeOptions.config.ownBodyDeadline) return done();
    const timer = setTimeout(() => {
      const socket = raw.socket;
      // inject()'s stand-in socket (light-my-request) is no connection: there is nothing to close.
      if (typeof socket?.destroySoon !== 'function') return;
      if (socket.writable && !raw.readableEnded) socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroySoon();
      setTimeout(() => socket.destroy(), 1000).unref();
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    raw.once('end', clear);
    raw.once('close', clear);
    done();
  });
}
