// Wires metrics into the app: the request hook and GET /metrics (on its own port, or behind a bearer token).
import http from 'node:http';
import { bearerSecretCheck } from '../lib/bearer.js';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { noMetrics, type Metrics } from './metrics.js';
import { PrometheusMetrics, type ScrapeSources } from './prometheus.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Where services and hooks report (a no-op unless V4H_METRICS=on). */
    metrics: Metrics;
    /** The separate metrics listener (V4H_METRICS_PORT), once the app is ready; else null. */
    metricsServer: http.Server | null;
  }
}

/** Decorates `app.metrics`; with V4H_METRICS=on also counts every request and serves the exposition. */
export function installMetrics(app: FastifyInstance, config: Config['metrics'] & { host: string }, sources: ScrapeSources): Metrics {
  app.decorate('metricsServer', null);
  if (!config.enabled) {
    app.decorate('metrics', noMetrics);
    return noMetrics;
  }
  const metrics = new PrometheusMetrics(sources);
  app.decorate('metrics', metrics as Metrics);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequest(request.routeOptions.url, request.method, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  /** True when no token is configured, or the request carries it (compared in constant time). */
  const authorized = config.token === undefined ? () => true : bearerSecretCheck(config.token);

  if (config.port === undefined) {
    // On the public port: only with a token (config.ts refuses V4H_METRICS=on with neither port nor token).
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      if (!authorized(request.headers.authorization)) {
        return reply.status(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: 'missing or invalid metrics token' });
      }
      const { contentType, body } = await metrics.exposition();
      return reply.type(contentType).send(body);
    });
    return metrics;
  }

  const server = http.createServer((request, response) => {
    const answer = (status: number, type: string, body: string) => response.writeHead(status, { 'content-type': type }).end(body);
    const json = 'application/json; charset=utf-8';
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics')
      return answer(404, json, JSON.stringify({ error: 'not_found', message: 'only GET /metrics here' }));
    if (!authorized(request.headers.authorization))
      return answer(401, json, JSON.stringify({ error: 'unauthorized', message: 'missing or invalid metrics token' }));
    metrics.exposition().then(
      ({ contentType, body }) => answer(200, contentType, body),
      (err) => {
        app.log.error({ err }, 'metrics: exposition failed');
        answer(500, json, JSON.stringify({ error: 'internal_error', message: 'internal error' }));
      },
    );
  });
  // onReady is awaited by listen() (onListen is not): the metrics port is open once the app is.
  app.addHook('onReady', async () => {
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(config.port, config.host, () => resolve()));
    app.metricsServer = server;
  });
  app.addHook('onClose', async () => {
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return metrics;
}
