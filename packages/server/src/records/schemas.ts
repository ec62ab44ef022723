// Path schemas of the records routes; their bodies are the wire's (@v4h/protocol; docs/manifest.md for the formats).
import { Type } from '@fastify/type-provider-typebox';

export const SessionIdParam = Type.Object({ sessionId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
export const TokenParam = Type.Object({ token: Type.String({ minLength: 1, maxLength: 100 }) });
