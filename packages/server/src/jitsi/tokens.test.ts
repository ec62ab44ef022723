// Jitsi tokens claim by claim, verified the way each deployment verifies them.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify, createLocalJWKSet, exportJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { resolveSecrets } from '../secrets.js';
import { createJitsiTokenIssuer, NBF_LEEWAY } from './tokens.js';

const NOW = Date.UTC(2026, 10, 28, 10, 0, 0);
const user = { id: 'u-1', name: 'Dr. Ana', avatar: 'https://img.example/a.png', moderator: true };

describe('Prosody token auth (self-hosted)', () => {
  const secret = 'x'.repeat(48);
  const config = loadConfig({
    V4H_JITSI_URL: 'https://meet.clinic.example:8443',
    V4H_JITSI_APP_ID: 'clinic-app',
    V4H_JITSI_APP_SECRET: secret,
    V4H_DATA_DIR: os.tmpdir(),
  });

  it('signs HS256 with typ JWT, iss = app id, sub = the domain without port, room, exp, nbf, context.user', async () => {
    const issuer = await createJitsiTokenIssuer(config);
    const jwt = (await issuer.issue('v4h-room', user, 600, NOW))!;
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(secret), { algorithms: ['HS256'], currentDate: new Date(NOW) });
    expect(payload).toMatchObject({ iss: 'clinic-app', aud: 'jitsi', sub: 'meet.clinic.example', room: 'v4h-room' });
    expect(payload.exp).toBe(NOW / 1000 + 600);
    expect(payload.nbf).toBe(NOW / 1000 - NBF_LEEWAY);
    expect(payload.context).toEqual({ user: { id: 'u-1', name: 'Dr. Ana', avatar: 'https://img.example/a.png', moderator: true, affiliation: 'owner' } });
    const member = (await issuer.issue('v4h-room', { ...user, moderator: false }, 600, NOW))!;
    const { payload: p2 } = await jwtVerify(member, new TextEncoder().encode(secret), { currentDate: new Date(NOW) });
    expect(p2.context).toMatchObject({ user: { moderator: false, affiliation: 'member' } });
    await expect(jwtVerify(jwt, new TextEncoder().encode('y'.repeat(48)), { currentDate: new Date(NOW) })).rejects.toThrow();
  });

  it('embeds with the host and port as domain and builds room links', async () => {
    const issuer = await createJitsiTokenIssuer(config);
    expect(issuer.domain).toBe('meet.clinic.example:8443');
    expect(issuer.scriptUrl).toBe('https://meet.clinic.example:8443/external_api.js');
    expect(issuer.roomPath('v4h-abc')).toBe('v4h-abc');
    expect(issuer.roomUrl('v4h-abc', 'a.b.c', 'Zoe')).toBe(
      'https://meet.clinic.example:8443/v4h-abc?jwt=a.b.c#config.disableDeepLinking=true&userInfo.displayName=%22Zoe%22',
    );
  });
});

describe('8x8 JaaS', () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-jaas-'));
  const keyFile = path.join(dir, 'jaas.pem');
  fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const appId = 'vpaas-magic-cookie-0123456789abcdef';
  const config = loadConfig({
    V4H_JITSI_URL: 'https://8x8.vc',
    V4H_JAAS_APP_ID: appId,
    V4H_JAAS_KEY_ID: 'key1',
    V4H_JAAS_PRIVATE_KEY_FILE: keyFile,
    V4H_DATA_DIR: dir,
  });

  it('signs RS256 with kid appId/keyId, aud jitsi, iss chat, sub app id, string flags and features', async () => {
    const issuer = await createJitsiTokenIssuer(config);
    const jwt = (await issuer.issue('v4h-room', user, 3600, NOW))!;
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'RS256', typ: 'JWT', kid: `${appId}/key1` });
    // Verify as JaaS would: by the public key registered under that kid.
    const jwks = createLocalJWKSet({ keys: [{ ...(await exportJWK(publicKey)), kid: `${appId}/key1`, alg: 'RS256' }] });
    const { payload } = await jwtVerify(jwt, jwks, { algorithms: ['RS256'], audience: 'jitsi', issuer: 'chat', currentDate: new Date(NOW) });
    expect(payload.sub).toBe(appId);
    expect(payload.room).toBe('v4h-room');
    expect(payload.context).toEqual({
      user: { id: 'u-1', name: 'Dr. Ana', avatar: 'https://img.example/a.png', email: '', moderator: 'true' },
      features: { recording: 'true', livestreaming: 'false', transcription: 'false', 'outbound-call': 'false' },
    });
    const guest = (await issuer.issue('v4h-room', { ...user, moderator: false }, 3600, NOW))!;
    const { payload: g } = await jwtVerify(guest, jwks, { currentDate: new Date(NOW) });
    expect((g.context as { user: { moderator: string } }).user.moderator).toBe('false');
    expect(issuer.roomPath('v4h-room')).toBe(`${appId}/v4h-room`);
    expect(issuer.domain).toBe('8x8.vc');
  });

  it('refuses to start with an unreadable key file', async () => {
    const bad = loadConfig({
      V4H_JITSI_URL: 'https://8x8.vc',
      V4H_JAAS_APP_ID: appId,
      V4H_JAAS_KEY_ID: 'k',
      V4H_JAAS_PRIVATE_KEY_FILE: path.join(dir, 'missing.pem'),
      V4H_DATA_DIR: dir,
    });
    await expect(createJitsiTokenIssuer(bad)).rejects.toThrow(/V4H_JAAS_PRIVATE_KEY_FILE/);
  });
});

describe('deployments without token auth, and the built-in room', () => {
  it('issues no token for a Jitsi without a secret', async () => {
    const issuer = await createJitsiTokenIssuer(loadConfig({ V4H_JITSI_URL: 'https://meet.jit.si', V4H_DATA_DIR: os.tmpdir() }));
    expect(issuer.mode).toBe('none');
    expect(await issuer.issue('v4h-room', user, 60, NOW)).toBeNull();
    expect(issuer.roomUrl('v4h-room', null)).toBe('https://meet.jit.si/v4h-room#config.disableDeepLinking=true');
  });

  it('always issues tokens in built-in mode, with a secret generated once and kept 0600', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-builtin-'));
    const config = resolveSecrets(loadConfig({ V4H_DATA_DIR: dir, PORT: '9999' }));
    expect(config.jitsi.mode).toBe('builtin');
    expect(config.jitsi.url).toBe('http://127.0.0.1:9999');
    expect(fs.statSync(path.join(dir, 'room-app-secret')).mode & 0o777).toBe(0o600);
    expect(resolveSecrets(loadConfig({ V4H_DATA_DIR: dir })).jitsi.appSecret).toBe(config.jitsi.appSecret);
    const issuer = await createJitsiTokenIssuer(config);
    const jwt = (await issuer.issue('v4h-room', user, 60, NOW))!;
    const { payload } = await jwtVerify(jwt, new TextEncoder().encode(config.jitsi.appSecret), { currentDate: new Date(NOW) });
    expect(payload).toMatchObject({ iss: 'v4h', sub: '127.0.0.1', room: 'v4h-room' });
  });
});
