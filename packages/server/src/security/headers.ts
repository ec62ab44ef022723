// Security headers on every response: the set helmet 8 sends by default (CSP aside: the HTML pages we serve set
// their own, and the API answers JSON), written once per request from a constant. @fastify/helmet ran a
// middleware chain that called setHeader eleven times per request, which cost more than the whole bare route.
import type { FastifyInstance } from 'fastify';

export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'cross-origin-opener-policy': 'same-origin',
  // The SDK (/v4h.js) and the IFrame API script are loaded by other origins.
  'cross-origin-resource-policy': 'cross-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  // Pages meant to be embedded (the built-in room) remove it and set a CSP frame-ancestors instead.
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
});

/** Adds SECURITY_HEADERS to every reply of `app` (call on the root instance: hooks added there apply everywhere). */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    done();
  });
}
