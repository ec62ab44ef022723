// Security headers on every response, written from constants in one hook (@fastify/helmet ran a middleware chain
// per request that cost more than the whole bare route). Each header costs, so each kind of answer gets the set
// that protects it:
// - JSON API answers (/api/…) get OWASP's REST set (REST Security Cheat Sheet, "Security Headers"): no caching of
//   health data, no framing, no MIME sniffing, HTTPS only. The rest of helmet's set only acts on HTML documents.
// - Everything else (pages, scripts, documentation, the well-known and health endpoints, 404s) gets the set
//   helmet 8 sends by default, CSP aside: the pages we serve set their own.
// The set is chosen by the route that matched, not by the raw URL text: `/%61pi/…` reaches the API routes too.
import type { FastifyInstance, FastifyRequest } from 'fastify';

export const API_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  // Routes that may be cached (a recording's signed link) say so themselves.
  'cache-control': 'no-store',
  'content-security-policy': "frame-ancestors 'none'",
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

export const DOCUMENT_HEADERS: Readonly<Record<string, string>> = Object.freeze({
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

// As [name, value] pairs once: reply.headers(object) lists the object's keys again on every request.
const API_ENTRIES = Object.entries(API_HEADERS);
const DOCUMENT_ENTRIES = Object.entries(DOCUMENT_HEADERS);

/** The set a route's answers get, by its path (prefix included). */
const entriesFor = (routePath: string) => (routePath.startsWith('/api/') ? API_ENTRIES : DOCUMENT_ENTRIES);

/**
 * The set for a request, by the route that matched. The router matches the percent-decoded path: without a `%` in the
 * URL that is the URL's own text (the fast path every ordinary request takes; request.routeOptions builds an object on
 * each read); with one, the matched route's path, or for a 404 the decoded path.
 */
function entriesOf(request: FastifyRequest): [string, string][] {
  const { url } = request;
  if (!url.includes('%')) return entriesFor(url);
  return entriesFor(request.is404 ? decodedPath(url) : (request.routeOptions.url ?? ''));
}

/** Adds the headers to every reply of `app` (call on the root instance: hooks added there apply everywhere). */
export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    for (const [name, value] of entriesOf(request)) reply.header(name, value);
    done();
  });
}

function decodedPath(url: string): string {
  const path = url.split('?')[0];
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
