// Pieces the wire schemas share.
import { Type, type TString } from 'typebox';

/**
 * A string or null. `type: ['string', 'null']` rather than anyOf: fast-json-stringify writes it directly, where an anyOf
 * made it run an ajv validation per field on every getConference answer. Same JSON Schema meaning (OpenAPI 3.1).
 */
export const nullable = (t: TString) => Type.Unsafe<string | null>({ ...t, type: ['string', 'null'] });

/**
 * A conference's id: random, or caller-chosen, URL-safe. A chosen id of an organisation other than `default` is kept in
 * that organisation's name space, `<organisationId>~<chosen id>` (the server adds the prefix), so that two clinics may
 * both use `appt-123` and neither can probe the other's ids.
 */
export const SESSION_ID_PATTERN = '^[A-Za-z0-9_-]{1,64}(?:~[A-Za-z0-9_-]{1,64})?$';

/** The path parameters of every /api/conferences/:sessionId/… route. */
export const SessionIdParam = Type.Object({ sessionId: Type.String({ pattern: SESSION_ID_PATTERN }) });
