// Jitsi room tokens, following the deployment's rules: Prosody token auth (HS256) or 8x8 JaaS (RS256).
import fs from 'node:fs';
import { SignJWT, importPKCS8, type CryptoKey } from 'jose';
import type { Config, JitsiMode } from '../config.js';

export interface JitsiUser {
  /** V4H user id, or `guest-<random>` for a guest. */
  id: string;
  name: string | null;
  avatar: string | null;
  moderator: boolean;
  /** The user's login session (refresh-token family): the built-in room checks it is not revoked (claim `fid`). */
  session?: string;
}

export interface JitsiTokenIssuer {
  mode: JitsiMode;
  /** The Jitsi base URL (no trailing slash), with its sub-path or tenant if any. */
  baseUrl: string;
  /**
   * What JitsiMeetExternalAPI takes as `domain`: host (with port) and, for a sub-path or tenant, that path — the
   * real API opens `https://${domain}/${roomName}`.
   */
  domain: string;
  scriptUrl: string;
  /** The room as the IFrame API and links name it (JaaS: `<appId>/<room>`). */
  roomPath(roomName: string): string;
  /** A signed token for this room, or null when the deployment takes none. */
  issue(roomName: string, user: JitsiUser, ttlSeconds: number, nowMs: number): Promise<string | null>;
  /** A link that opens the room (with its token) in a browser: the very URL the SDK's iframe opens. */
  roomUrl(roomName: string, jwt: string | null, displayName?: string): string;
}

/** Tolerated clock difference between V4H and the Jitsi servers (seconds, on `nbf`). */
export const NBF_LEEWAY = 30;

/** Config of Jitsi links opened outside the SDK (guest links): phones stay in the browser instead of being sent to the app store. */
export const GUEST_LINK_CONFIG: Record<string, unknown> = { disableDeepLinking: true };

export async function createJitsiTokenIssuer(config: Config): Promise<JitsiTokenIssuer> {
  const { jitsi } = config;
  const url = new URL(jitsi.url);
  const baseUrl = jitsi.url.replace(/\/+$/, '');
  const path = url.pathname.replace(/\/+$/, '');
  let domain = `${url.host}${path}`;
  let roomBase = baseUrl;
  let sign: ((roomName: string, user: JitsiUser, ttl: number, now: number) => Promise<string>) | null = null;
  let roomPath = (roomName: string) => roomName;
  let linkConfig: Record<string, unknown> = { ...GUEST_LINK_CONFIG, ...config.jitsi.guestLinkConfig };

  if (jitsi.mode === 'builtin') {
    // The built-in room's own IFrame API takes the host only and reads no Jitsi config from links.
    domain = url.host;
    linkConfig = {};
    const key = new TextEncoder().encode(jitsi.appSecret);
    sign = (roomName, user, ttl, now) => signProsodyToken({ key, appId: jitsi.appId!, subject: url.hostname, audience: 'jitsi', roomName, user, ttl, now });
  } else if (jitsi.mode === 'prosody') {
    const key = new TextEncoder().encode(jitsi.appSecret);
    const claims = prosodyClaims(config);
    sign = (roomName, user, ttl, now) => signProsodyToken({ key, appId: jitsi.appId!, ...claims, roomName: claims.room(roomName), user, ttl, now });
  } else if (jitsi.mode === 'jaas') {
    const jaas = jitsi.jaas!;
    let key: CryptoKey;
    try {
      key = await importPKCS8(fs.readFileSync(jaas.privateKeyFile, 'utf8'), 'RS256');
    } catch (error) {
      throw new Error(`V4H_JAAS_PRIVATE_KEY_FILE: cannot read an RSA private key (PKCS#8 PEM): ${(error as Error).message}`, { cause: error });
    }
    // https://8x8.vc/<AppID> is where 8x8 documents the script; rooms are <AppID>/<room> under the bare host.
    domain = url.host;
    roomBase = url.origin;
    roomPath = (roomName) => `${jaas.appId}/${roomName}`;
    sign = (roomName, user, ttl, now) => signJaasToken({ key, appId: jaas.appId, keyId: jaas.keyId, roomName, user, ttl, now });
  }

  return {
    mode: jitsi.mode,
    baseUrl,
    domain,
    scriptUrl: `${baseUrl}/external_api.js`,
    roomPath,
    issue: async (roomName, user, ttl, now) => (sign ? sign(roomName, user, ttl, now) : null),
    roomUrl(roomName, jwt, displayName) {
      const query = jwt ? `?jwt=${encodeURIComponent(jwt)}` : '';
      // Jitsi reads URL-hash settings as JSON values.
      const hash = [
        ...Object.entries(linkConfig).map(([key, value]) => `config.${key}=${encodeURIComponent(JSON.stringify(value))}`),
        ...(displayName ? [`userInfo.displayName=${encodeURIComponent(JSON.stringify(displayName))}`] : []),
      ];
      return `${roomBase}/${roomPath(roomName)}${query}${hash.length ? `#${hash.join('&')}` : ''}`;
    },
  };
}

/**
 * The `sub`, `aud` and room claim Prosody's token plugin checks (token/util.lib.lua `verify_room`): without domain
 * verification the room claim must equal the MUC room's node, which for a tenant is `[tenant]room`; with it, the
 * room must be `room@conference.<sub>`, or for a tenant `[<sub>]room@<muc domain>` (so `sub` is the tenant).
 */
export function prosodyClaims(config: Config): { subject: string; audience: string; room(roomName: string): string } {
  const { tenant, domainVerification, tokenSubject, tokenAudience } = config.jitsi;
  const subject = tokenSubject ?? (tenant && domainVerification ? tenant : new URL(config.jitsi.url).hostname);
  const room = (roomName: string) => (tenant && !domainVerification ? `[${tenant.toLowerCase()}]${roomName}` : roomName);
  return { subject, audience: tokenAudience, room };
}

/** Prosody `token` authentication: typ JWT, HS256 with the app secret, iss = app id, sub and aud as configured. */
async function signProsodyToken(o: {
  key: Uint8Array;
  appId: string;
  subject: string;
  audience: string;
  roomName: string;
  user: JitsiUser;
  ttl: number;
  now: number;
}) {
  const iat = Math.floor(o.now / 1000);
  return new SignJWT({
    room: o.roomName,
    // Top level, not in context.user: Jitsi shares context.user with the other participants.
    ...(o.user.session ? { fid: o.user.session } : {}),
    context: {
      user: {
        id: o.user.id,
        name: o.user.name ?? '',
        avatar: o.user.avatar ?? '',
        moderator: o.user.moderator,
        affiliation: o.user.moderator ? 'owner' : 'member',
      },
    },
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(o.appId)
    .setAudience(o.audience)
    .setSubject(o.subject)
    .setIssuedAt(iat)
    .setNotBefore(iat - NBF_LEEWAY)
    .setExpirationTime(iat + o.ttl)
    .sign(o.key);
}

/** 8x8 JaaS: RS256, kid `<appId>/<keyId>`, aud "jitsi", iss "chat", sub = app id; flags are strings. */
async function signJaasToken(o: { key: CryptoKey; appId: string; keyId: string; roomName: string; user: JitsiUser; ttl: number; now: number }) {
  const iat = Math.floor(o.now / 1000);
  const flag = (on: boolean) => (on ? 'true' : 'false');
  return new SignJWT({
    room: o.roomName,
    context: {
      user: { id: o.user.id, name: o.user.name ?? '', avatar: o.user.avatar ?? '', email: '', moderator: flag(o.user.moderator) },
      features: { recording: flag(o.user.moderator), livestreaming: 'false', transcription: 'false', 'outbound-call': 'false' },
    },
  })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: `${o.appId}/${o.keyId}` })
    .setIssuer('chat')
    .setAudience('jitsi')
    .setSubject(o.appId)
    .setIssuedAt(iat)
    .setNotBefore(iat - NBF_LEEWAY)
    .setExpirationTime(iat + o.ttl)
    .sign(o.key);
}
