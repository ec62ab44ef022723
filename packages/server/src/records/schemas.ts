// Path schemas of the records routes; their bodies are the wire's (@v4h/protocol; docs/manifest.md for the formats).
import { Type } from '@fastify/type-provider-typebox';

export { SessionIdParam } from '@v4h/protocol';
export const TokenParam = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });
