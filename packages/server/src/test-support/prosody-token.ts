// Prosody's token checks (jitsi-meet resources/prosody-plugins/token/util.lib.lua: verify_token, verify_room),
// restated for tests: what a self-hosted Jitsi accepts at connect and at join, with domain verification on or off.
import { jwtVerify, decodeProtectedHeader } from 'jose';

export interface ProsodyTokenOptions {
  appId: string;
  appSecret: string;
  /** `asap_accepted_issuers` (default: the app id). */
  acceptedIssuers?: string[];
  /** `asap_accepted_audiences` (default `*`: any). */
  acceptedAudiences?: string[];
  /** `enable_domain_verification` (default false). */
  enableDomainVerification?: boolean;
  /** `muc_mapper_domain_base`: the XMPP domain (docker-jitsi-meet: meet.jitsi). */
  mucDomainBase: string;
}

/**
 * Returns null when Prosody would let this token join `room` (in `tenant`, if any), else the reason it refuses.
 * The MUC address is how Jitsi names the room: `room@conference.<base>`, or `[tenant]room@conference.<base>`.
 */
export async function prosodyRefusal(token: string, o: ProsodyTokenOptions, room: string, tenant?: string, nowMs = Date.now()): Promise<string | null> {
  let claims: Record<string, unknown>;
  try {
    if (decodeProtectedHeader(token).typ !== 'JWT') return 'typ';
    claims = (await jwtVerify(token, new TextEncoder().encode(o.appSecret), { algorithms: ['HS256'], currentDate: new Date(nowMs) })).payload;
  } catch (error) {
    return `signature or time: ${(error as Error).message}`;
  }
  if (!(o.acceptedIssuers ?? [o.appId]).includes(claims.iss as string)) return "Invalid issuer ('iss' claim)";
  if (claims.room === undefined) return "'room' claim is missing";
  if (claims.aud === undefined) return "'aud' claim is missing";
  const audiences = o.acceptedAudiences ?? ['*'];
  if (!audiences.includes('*') && !audiences.includes(claims.aud as string)) return "Invalid audience ('aud' claim)";

  const mucDomain = `conference.${o.mucDomainBase}`;
  const node = (tenant ? `[${tenant}]${room}` : room).toLowerCase();
  const address = `${node}@${mucDomain}`;
  // Numbers and strings as Prosody's tostring writes them; an object is never a room.
  const authRoom = typeof claims.room === 'string' ? claims.room : JSON.stringify(claims.room);
  const authDomain = String(claims.sub);
  if (!o.enableDomainVerification) {
    return authRoom !== '*' && node !== authRoom.toLowerCase() ? 'room' : null;
  }
  const roomToCheck = authRoom === '*' ? room : authRoom;
  if (tenant) {
    const subdomain = authDomain === '*' ? tenant : authDomain;
    return address === `[${subdomain.toLowerCase()}]${roomToCheck.toLowerCase()}@${mucDomain}` ? null : 'room (tenant)';
  }
  const domain = authDomain === '*' ? mucDomain : `conference.${authDomain}`;
  return address === `${roomToCheck.toLowerCase()}@${domain.toLowerCase()}` ? null : 'room (domain)';
}
