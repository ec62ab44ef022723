// Child-process entry for benchmarks and reliability tests: `node bench/lib/server.js v4h|bare`.
// Starts the built V4H server (packages/server/dist) from the environment, or a bare Fastify app with the
// same Fastify and logger settings, and prints `READY <url>` once it listens.
import { existsSync } from 'node:fs';

// V4H_BENCH_DIST points at another build of the server (experiments: a candidate change measured against the baseline).
const dist = process.env.V4H_BENCH_DIST
  ? new URL(`file://${process.env.V4H_BENCH_DIST.replace(/\/?$/, '/')}`)
  : new URL('../../packages/server/dist/', import.meta.url);
if (!existsSync(new URL('server.js', dist))) {
  console.error('bench/lib/server.js: packages/server/dist is missing; run `npm run build` first');
  process.exit(1);
}
const { loadConfig } = await import(new URL('config.js', dist).href);
const config = loadConfig();
const kind = process.argv[2] ?? 'v4h';

if (kind === 'bare') {
  // The baseline: Fastify with the options app.ts uses, one route returning a constant.
  const { default: Fastify } = await import('fastify');
  const logging = await import(new URL('logging.js', dist).href);
  const app = Fastify({
    logger: logging.loggerOptions(config.logLevel),
    // The same request logging as the app (one line per request), when the build has it.
    ...(logging.OneLinePerRequest ? { logController: new logging.OneLinePerRequest() } : {}),
    // The same request loggers (made on first use), when the build has them.
    ...(logging.requestLoggerFactory ? { childLoggerFactory: logging.requestLoggerFactory } : {}),
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    trustProxy: false,
    bodyLimit: 1024 * 1024,
  });
  const body = { status: 'ok', constant: 'the same JSON every time' };
  app.get('/bare', async () => body);
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  console.log(`READY http://127.0.0.1:${address.port}`);
  for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close().then(() => process.exit(0)));
} else {
  const { startServer } = await import(new URL('server.js', dist).href);
  const server = await startServer(config);
  const address = server.app.server.address();
  console.log(`READY http://127.0.0.1:${address.port}`);
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.once(signal, () =>
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      ),
    );
  }
}
