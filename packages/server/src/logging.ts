// Pino options: JSON logs with request ids; tokens, passwords and secrets never written.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
const TOKEN_QUERY = /([?&#](?:jwt|token|access_token|sig|signature|X-Amz-Signature|X-Amz-Credential)=)[^&#]*/gi;

/** Strips credentials from a URL before it is logged (guest links carry a JWT in the query). */
export const redactUrl = (url: string) => url.replace(TOKEN_QUERY, '$1[redacted]');

export function loggerOptions(level: string) {
  return {
    level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.refreshToken', '*.accessToken', '*.jwt', '*.presenceToken'],
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
    const fields = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}
