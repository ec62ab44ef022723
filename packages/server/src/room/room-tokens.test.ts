// The room admits exactly the tokens Prosody's token auth would: typ, algorithm, signature, iss, aud, sub, room, exp, nbf.
import { describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT } from 'jose';
import { loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { createJitsiTokenIssuer } from '../jitsi/tokens.js';
import { createRoomTokenVerifier, RoomTokenError } from './room-tokens.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const SECRET = 'a-room-secret-of-at-least-32-bytes!!';
const ROOM = 'v4h-abcdefgh';
const verify = createRoomTokenVerifier({ appId: 'v4h', appSecret: SECRET, domain: 'meet.example.org', now: () => NOW });
const key = new TextEncoder().encode(SECRET);
const sec = Math.floor(NOW / 1000);

function token(o: { claims?: Record<string, unknown>; header?: Record<string, unknown>; secret?: string; alg?: string } = {}) {
  const claims = {
    iss: 'v4h',
    aud: 'jitsi',
    sub: 'meet.example.org',
    room: ROOM,
    iat: sec,
    nbf: sec - 30,
    exp: sec + 600,
    context: { user: { id: 'u1', name: 'Dr Who', avatar: 'https://a.example/x.png', moderator: true, affiliation: 'owner' } },
    ...o.claims,
  };
  for (const [k, v] of Object.entries(claims)) if (v === undefined) delete (claims as Record<string, unknown>)[k];
  return new SignJWT(claims).setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT', ...o.header }).sign(o.secret ? new TextEncoder().encode(o.secret) : key);
}

async function refusal(jwt: string | undefined, room = ROOM) {
  try {
    await verify(jwt, room);
  } catch (error) {
    expect(error).toBeInstanceOf(RoomTokenError);
    return (error as RoomTokenError).code;
  }
  throw new Error('token was accepted');
}

describe('room token verification', () => {
  it('accepts a good token and reads the user context', async () => {
    const identity = await verify(await token(), ROOM);
    expect(identity).toMatchObject({
      id: 'u1',
      userId: 'u1',
      name: 'Dr Who',
      avatar: 'https://a.example/x.png',
      moderator: true,
      expiresAt: (sec + 600) * 1000,
    });
  });

  it('compares the room lowercased and accepts "*" like Prosody', async () => {
    expect((await verify(await token({ claims: { room: 'V4H-ABCDEFGH' } }), ROOM)).id).toBe('u1');
    expect((await verify(await token({ claims: { room: '*' } }), ROOM)).id).toBe('u1');
    expect(await refusal(await token(), 'v4h-other')).toBe('token_wrong_room');
  });

  it('reads guests and non-moderators', async () => {
    const guest = await verify(await token({ claims: { context: { user: { id: 'guest-abc', name: 'Pat', moderator: false, affiliation: 'member' } } } }), ROOM);
    expect(guest).toMatchObject({ id: 'guest-abc', userId: null, moderator: false, avatar: null });
    const jaasStyle = await verify(await token({ claims: { context: { user: { id: 'u2', moderator: 'true' } } } }), ROOM);
    expect(jaasStyle.moderator).toBe(true);
  });

  it('refuses missing, forged, expired, early and foreign tokens', async () => {
    expect(await refusal(undefined)).toBe('token_missing');
    expect(await refusal('not.a.jwt')).toBe('token_invalid');
    expect(await refusal(await token({ secret: 'another-secret-of-at-least-32-bytes!' }))).toBe('token_invalid');
    expect(await refusal(await token({ claims: { exp: sec - 1 } }))).toBe('token_expired');
    // Resuming a live participant tolerates expiry, within the bound given.
    expect((await verify(await token({ claims: { exp: sec - 100 } }), ROOM, { expiredUpTo: 3600 })).id).toBe('u1');
    await expect(verify(await token({ claims: { exp: sec - 7200 } }), ROOM, { expiredUpTo: 3600 })).rejects.toMatchObject({ code: 'token_expired' });
    expect(await refusal(await token({ claims: { nbf: sec + 60 } }))).toBe('token_not_yet_valid');
    expect(await refusal(await token({ claims: { iss: 'someone-else' } }))).toBe('token_invalid');
    expect(await refusal(await token({ claims: { aud: 'v4h' } }))).toBe('token_invalid');
    expect(await refusal(await token({ claims: { sub: 'evil.example.org' } }))).toBe('token_invalid');
  });

  it('requires exp, nbf and room', async () => {
    for (const claim of ['exp', 'nbf', 'room']) {
      expect(await refusal(await token({ claims: { [claim]: undefined } }))).toBe('token_invalid');
    }
  });

  it('pins the header: typ JWT and HS256 only (no alg confusion, no "none")', async () => {
    expect(await refusal(await token({ alg: 'HS512' }))).toBe('token_invalid');
    expect(await refusal(await token({ header: { typ: 'at+jwt' } }))).toBe('token_invalid');
    const unsigned = new UnsecuredJWT({ iss: 'v4h', aud: 'jitsi', room: ROOM, nbf: sec - 1, exp: sec + 60 }).encode();
    expect(await refusal(unsigned)).toBe('token_invalid');
  });

  it("admits the tokens the server's own issuer makes in built-in mode", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-room-'));
    try {
      const config = resolveSecrets(loadConfig({ PORT: '9999', V4H_DATA_DIR: dataDir }));
      expect(config.jitsi.mode).toBe('builtin');
      const issuer = await createJitsiTokenIssuer(config);
      const jwt = (await issuer.issue(ROOM, { id: 'u9', name: 'Ann', avatar: null, moderator: false }, 60, NOW))!;
      const ownVerify = createRoomTokenVerifier({
        appId: config.jitsi.appId!,
        appSecret: config.jitsi.appSecret!,
        domain: new URL(config.jitsi.url).hostname,
        now: () => NOW,
      });
      expect(await ownVerify(jwt, ROOM)).toMatchObject({ id: 'u9', name: 'Ann', moderator: false });
      const later = createRoomTokenVerifier({ appId: config.jitsi.appId!, appSecret: config.jitsi.appSecret!, domain: '127.0.0.1', now: () => NOW + 61_000 });
      await expect(later(jwt, ROOM)).rejects.toMatchObject({ code: 'token_expired' });
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
