// Pino options: JSON logs with request ids; tokens, passwords, secrets and personal data never written.
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';

/**
 * A URL as logged: its path, with any query string replaced by `?[redacted]`. Queries carry credentials (guest links'
 * JWT, signed links) and personal data (an upload's file name): none of it is written. Paths hold ids only.
 */
export const redactUrl = (url: string) => {
  const query = url.indexOf('?');
  return query < 0 ? url : `${url.slice(0, query)}?[redacted]`;
};

/** Probes (load balancers, orchestrators) call these every few seconds: their lines are written at debug only. */
const PROBE_PATHS = new Set(['/healthz', '/readyz']);
const isProbe = (url: string) => url.charCodeAt(1) !== 0x61 /* a: an /api/ call, the common case */ && PROBE_PATHS.has(url.split('?')[0]);

const SECRET_FIELDS = ['password', 'refreshToken', 'accessToken', 'jwt', 'presenceToken'];

export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      // `*.x` covers one level down only: the top-level names are listed too.
      paths: ['req.headers.authorization', 'req.headers.cookie', ...SECRET_FIELDS, ...SECRET_FIELDS.map((field) => `*.${field}`)],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; ip?: string; id?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip, reqId: request.id };
      },
    },
  };
}

/**
 * One log line per request, written when it completes (Fastify's default writes two: received and completed),
 * with the request (URL redacted by the serializer above), status and time. Error and stream logs are unchanged.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    // Written through the server's logger with the request id as a field: the same line as through request.log,
    // without making the request's child logger for it (see RequestLogger).
    const fields = { reqId: request.id, req: request, res: reply, responseTime: reply.elapsedTime, ...apiKeyField(request) };
    if (error) request.server.log.error({ ...fields, err: error }, 'request errored');
    else if (reply.statusCode < 400 && isProbe(request.url)) request.server.log.debug(fields, 'request completed');
    else request.server.log.info(fields, 'request completed');
  }
}

/** Every request made with an API key is attributable to it: its id (never the key) on the request's line. */
const apiKeyField = (request: FastifyRequest) => (request.apiKey ? { apiKeyId: request.apiKey.id } : undefined);

/**
 * For Fastify's `childLoggerFactory`: each request's logger (request.log, reply.log) is a pino child bound to the
 * request id, and Fastify makes one for every request. Making it costs more than a whole simple route (its bindings
 * go through the redaction above), and most requests never log through it: the completion line does not (see
 * OneLinePerRequest). So the child is made on the first line written at an enabled level, or on `child()`.
 */
export const requestLoggerFactory: NonNullable<FastifyServerOptions['childLoggerFactory']> = (logger, bindings, options) => {
  // A route's own log level or serializers: made now, as Fastify would.
  if (options.level !== undefined || options.serializers !== undefined) return logger.child(bindings, options);
  // Its methods are pino's LogFn, called through with whatever arguments they get.
  return new RequestLogger(logger, bindings);
};

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
type Bindings = Parameters<FastifyBaseLogger['child']>[0];

class RequestLogger {
  readonly #parent: FastifyBaseLogger & { isLevelEnabled?(level: string): boolean };
  readonly #bindings: Bindings;
  #made: FastifyBaseLogger | undefined;

  constructor(parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #logger(): FastifyBaseLogger {
    return (this.#made ??= this.#parent.child(this.#bindings));
  }

  #write(level: Level, args: unknown[]): void {
    // Nothing is made for a line that would not be written.
    if (!this.#made && this.#parent.isLevelEnabled?.(level) === false) return;
    const logger = this.#logger();
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- needed where test/reliability compiles this file (through test-support): pino's overloads resolve differently there
    (logger[level] as (...args: unknown[]) => void).apply(logger, args);
  }

  get level(): string {
    return (this.#made ?? this.#parent).level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#write('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#write('error', args);
  }
  warn(...args: unknown[]): void {
    this.#write('warn', args);
  }
  info(...args: unknown[]): void {
    this.#write('info', args);
  }
  debug(...args: unknown[]): void {
    this.#write('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#write('trace', args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: Parameters<FastifyBaseLogger['child']>[1]): FastifyBaseLogger {
    return this.#logger().child(bindings, options);
  }
}
