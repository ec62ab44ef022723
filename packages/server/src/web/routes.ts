// Web delivery: the SDK as one script (/v4h.js + source map), the demo page (/) and the guest page (/visit/), with
// ETags and cache headers.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { defaultClientDist, demoCsp } from './assets.js';
import { AppError, ErrorBody } from '../errors.js';
import { StaticFiles, sendStaticFile } from '../lib/static-files.js';

export interface WebRoutesOptions {
  /** The Jitsi base URL the demo's CSP must allow (config.jitsi.url). */
  jitsiUrl: string;
  /** Where the client's build output lives (default: packages/client/dist). */
  clientDist?: string;
}

// The script URL is not versioned, so caches revalidate after 5 minutes (a 304 thanks to the ETag).
const SDK_CACHE = 'public, max-age=300, must-revalidate';
const PAGE_CACHE = 'no-cache';

/** Static files, not API: hidden from OpenAPI; each route serves one fixed file (no path from the request). */
export const webRoutes: FastifyPluginAsync<WebRoutesOptions> = async (app, options) => {
  const files = new StaticFiles(options.clientDist ?? defaultClientDist);
  const csp = demoCsp(options.jitsiUrl);

  const serve =
    (file: string, cacheControl: string, extra: Record<string, string> = {}) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const built = await files.get(file);
      if (!built) throw new AppError('service_unavailable', `client SDK not built (${file} missing in ${files.dir}): run "npm run build"`);
      return sendStaticFile(request, reply, built, { 'cache-control': cacheControl, 'x-content-type-options': 'nosniff', ...extra });
    };

  // Any site may embed the SDK with a script tag (also with crossorigin="anonymous").
  const publicAsset = { 'access-control-allow-origin': '*' };
  const hidden = { schema: { hide: true, response: { 200: Type.String(), 304: Type.Null(), 503: ErrorBody } } };
  app.get('/v4h.js', hidden, serve('v4h.js', SDK_CACHE, publicAsset));
  app.get('/v4h.js.map', hidden, serve('v4h.js.map', SDK_CACHE, publicAsset));
  // The record verifier, imported on demand by the SDK's verifyConference (docs/manifest.md).
  app.get('/v4h-verify.js', hidden, serve('verify.js', SDK_CACHE, publicAsset));
  // The SDK's features beyond its core (files, …), imported by v4h.js on first use (packages/client/src/features-load.lazy.ts).
  app.get('/v4h-features.js', hidden, serve('features.js', SDK_CACHE, publicAsset));
  app.get('/', hidden, serve('demo/index.html', PAGE_CACHE, { 'content-security-policy': csp, 'referrer-policy': 'no-referrer' }));
  app.get('/demo/demo.js', hidden, serve('demo/demo.js', PAGE_CACHE));
  app.get('/demo/demo.js.map', hidden, serve('demo/demo.js.map', PAGE_CACHE));
  app.get('/demo/demo.css', hidden, serve('demo/demo.css', PAGE_CACHE));
  // The guest page of waiting-room links (`/visit/#<guest token>`): the token stays in the fragment, never sent here.
  app.get('/visit/', hidden, serve('visit/index.html', PAGE_CACHE, { 'content-security-policy': csp, 'referrer-policy': 'no-referrer' }));
  app.get('/visit', { schema: { hide: true } }, (request, reply) => {
    void reply.redirect(`/visit/${request.url.slice('/visit'.length)}`, 301);
  });
  app.get('/visit/visit.js', hidden, serve('visit/visit.js', PAGE_CACHE));
  app.get('/visit/visit.js.map', hidden, serve('visit/visit.js.map', PAGE_CACHE));
  app.get('/visit/visit.css', hidden, serve('visit/visit.css', PAGE_CACHE));
  // Browsers ask for it on every page; "no icon" (204, cached for a day) instead of a 404 in every log and console.
  app.get('/favicon.ico', { schema: { hide: true } }, (_request, reply) => {
    void reply.status(204).header('cache-control', 'public, max-age=86400').send();
  });
};
