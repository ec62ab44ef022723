// Path and query schemas of the conference routes; their bodies are the wire's (@v4h/protocol). Both document the API in /openapi.json.
import { Type } from '@fastify/type-provider-typebox';
import { ConferenceListQuery, SessionIdParam } from '@v4h/protocol';

export { SessionIdParam };

export const GuestParams = Type.Object({ sessionId: SessionIdParam.properties.sessionId, guestId: Type.String({ pattern: '^guest-[a-z0-9]{1,64}$' }) });

// The wire's, so that the SDK's listConferences takes the same options.
export const ListQuery = ConferenceListQuery;
