// Request loggers made on first use (requestLoggerFactory): the same lines as pino children, redaction included,
// and no child made for lines that would not be written.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { FastifyBaseLogger } from 'fastify';
import { loggerOptions, requestLoggerFactory } from './logging.js';

function sinkLogger(level: string) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write: (chunk, _e, cb) => (
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
      ),
      cb()
    ),
  });
  const logger = pino({ ...loggerOptions(level) }, sink);
  let children = 0;
  // Counted on the logger and every logger made from it (pino's children inherit from their parent).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the `this` of whichever logger it is called on
  const child = logger.child;
  logger.child = function (this: typeof logger, ...args: Parameters<typeof child>) {
    children++;
    return child.apply(this, args);
  } as typeof logger.child;
  return { logger, lines, children: () => children };
}

const make = (logger: unknown, options = {}) =>
  requestLoggerFactory.call(undefined as never, logger as FastifyBaseLogger, { reqId: 'req-1' }, options, undefined as never);

describe('requestLoggerFactory', () => {
  it('makes no child for lines below the level, and writes the child’s line (request id, redaction) above it', async () => {
    const { logger, lines, children } = sinkLogger('warn');
    const log = make(logger);
    log.info({ step: 1 }, 'not written');
    log.debug('nor this');
    expect(children()).toBe(0);
    expect(log.level).toBe('warn');
    log.warn({ password: 'hunter2', refreshToken: 'r', nested: { jwt: 'j' } }, 'written');
    log.error(new Error('boom'));
    expect(children()).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 40,
      reqId: 'req-1',
      msg: 'written',
      password: '[redacted]',
      refreshToken: '[redacted]',
      nested: { jwt: '[redacted]' },
    });
    expect(lines[1]).toMatchObject({ level: 50, reqId: 'req-1', err: { message: 'boom' } });
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('children and level changes go to a child of its own, bound to the request', async () => {
    const { logger, lines, children } = sinkLogger('warn');
    const log = make(logger);
    log.child({ part: 'upload' }).warn('from the child');
    log.level = 'debug';
    log.debug('now written');
    expect(logger.level).toBe('warn'); // the server's logger is untouched
    expect(children()).toBe(2); // the request's own, then the part's
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toMatchObject([
      { reqId: 'req-1', part: 'upload', msg: 'from the child' },
      { reqId: 'req-1', level: 20, msg: 'now written' },
    ]);
  });

  it('a route with its own level or serializers gets its child at once, as Fastify makes it', () => {
    const { logger, children } = sinkLogger('warn');
    const log = make(logger, { level: 'debug' });
    expect(children()).toBe(1);
    expect(log.level).toBe('debug');
  });
});
