// Appointment-bound join links (POST /api/conferences/:sessionId/join-links): a V4H method loaded on first use.
import { checkSessionId, checkString } from '../checks.js';
import { invalidArgument } from '../errors.js';
import type { JoinLink, JoinLinkBody } from '@v4h/protocol';
import type { FeatureContext } from './context.js';

/** What `createJoinLink` takes: the wire's body (see docs/api.md, Appointment links). */
export type { JoinLink, JoinLinkBody };

/**
 * Owner, or an organisation's API key (Node): a link for someone without an account that works only inside
 * `[notBefore, expiresAt]` (an appointment slot); `externalId` (e.g. the EHR's patient id) is what the record keeps.
 * @example
 * const v4h = new V4H({ baseUrl: 'https://v4h.example.org', apiKey: process.env.V4H_API_KEY });
 * const id = await v4h.requestConference(undefined, { owner: 'dr.ana' });
 * const { url } = await v4h.createJoinLink(id, { externalId: 'patient-123', role: 'guest', notBefore: '2026-12-07T14:00:00Z', expiresAt: '2026-12-07T15:00:00Z' });
 */
export async function createJoinLink(ctx: FeatureContext, sessionId: string, link: JoinLinkBody): Promise<JoinLink> {
  checkSessionId(sessionId);
  if (typeof link !== 'object' || link === null) throw invalidArgument('link must be an object');
  checkString(link.externalId, 'externalId');
  if (!['host', 'participant', 'guest'].includes(link.role)) throw invalidArgument("role must be 'host', 'participant' or 'guest'");
  return ctx.http.request('POST', `/api/conferences/${encodeURIComponent(sessionId)}/join-links`, { body: link });
}
