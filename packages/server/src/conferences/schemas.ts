// Path and query schemas of the conference routes; their bodies are the wire's (@v4h/protocol). Both document the API in /openapi.json.
import { Type } from '@fastify/type-provider-typebox';
import { SessionIdParam } from '@v4h/protocol';

export { SessionIdParam };

export const GuestParams = Type.Object({ sessionId: SessionIdParam.properties.sessionId, guestId: Type.String({ pattern: '^guest-[a-z0-9]{1,64}$' }) });

export const ListQuery = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })), cursor: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false },
);
