// Jitsi deployments as operators run them: sub-paths, tenants, docker's XMPP domain, audiences, JaaS URLs and key ids.
// Tokens are checked by a restatement of Prosody's own rules (test-support/prosody-token.ts), domain verification on and off.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { prosodyRefusal } from '../test-support/prosody-token.js';
import { createJitsiTokenIssuer } from './tokens.js';

const NOW = Date.now();
const user = { id: 'u-1', name: 'Dr. Ana', avatar: null, moderator: true };
const secret = 's'.repeat(40);
const base = { V4H_JITSI_APP_ID: 'clinic', V4H_JITSI_APP_SECRET: secret, V4H_DATA_DIR: os.tmpdir() };

async function tokenFor(env: Record<string, string>, room = 'v4h-room') {
  const issuer = await createJitsiTokenIssuer(loadConfig({ ...base, ...env }));
  return { issuer, jwt: (await issuer.issue(room, user, 600, NOW))! };
}

describe('self-hosted Jitsi tokens against Prosody token auth', () => {
  it('a Debian install (XMPP domain = the host) admits the token with domain verification off and on, only for its room', async () => {
    const { jwt } = await tokenFor({ V4H_JITSI_URL: 'https://meet.clinic.example' });
    for (const enableDomainVerification of [false, true]) {
      const prosody = { appId: 'clinic', appSecret: secret, mucDomainBase: 'meet.clinic.example', enableDomainVerification };
      expect(await prosodyRefusal(jwt, prosody, 'v4h-room', undefined, NOW)).toBeNull();
      expect(await prosodyRefusal(jwt, prosody, 'v4h-other', undefined, NOW)).not.toBeNull();
    }
  });

  it('docker-jitsi-meet (XMPP domain meet.jitsi) with domain verification needs V4H_JITSI_TOKEN_SUBJECT=meet.jitsi', async () => {
    const prosody = { appId: 'clinic', appSecret: secret, mucDomainBase: 'meet.jitsi', enableDomainVerification: true };
    const byHost = await tokenFor({ V4H_JITSI_URL: 'https://meet.clinic.example' });
    expect(await prosodyRefusal(byHost.jwt, prosody, 'v4h-room', undefined, NOW)).toBe('room (domain)');
    const bySubject = await tokenFor({ V4H_JITSI_URL: 'https://meet.clinic.example', V4H_JITSI_TOKEN_SUBJECT: 'meet.jitsi' });
    expect(await prosodyRefusal(bySubject.jwt, prosody, 'v4h-room', undefined, NOW)).toBeNull();
    const anyDomain = await tokenFor({ V4H_JITSI_URL: 'https://meet.clinic.example', V4H_JITSI_TOKEN_SUBJECT: '*' });
    expect(await prosodyRefusal(anyDomain.jwt, prosody, 'v4h-room', undefined, NOW)).toBeNull();
    expect(await prosodyRefusal(anyDomain.jwt, prosody, 'v4h-other', undefined, NOW)).not.toBeNull();
  });

  it('aud is "jitsi" by default and V4H_JITSI_TOKEN_AUDIENCE when Prosody accepts only certain audiences', async () => {
    const prosody = { appId: 'clinic', appSecret: secret, mucDomainBase: 'meet.jitsi', acceptedAudiences: ['my_server1'] };
    const byDefault = await tokenFor({ V4H_JITSI_URL: 'https://meet.clinic.example' });
    expect(await prosodyRefusal(byDefault.jwt, prosody, 'v4h-room', undefined, NOW)).toBe("Invalid audience ('aud' claim)");
    expect(await prosodyRefusal(byDefault.jwt, { ...prosody, acceptedAudiences: ['jitsi'] }, 'v4h-room', undefined, NOW)).toBeNull();
    const configured = await tokenFor({ V4H_JITSI_URL: 'https://meet.clinic.example', V4H_JITSI_TOKEN_AUDIENCE: 'my_server1' });
    expect(await prosodyRefusal(configured.jwt, prosody, 'v4h-room', undefined, NOW)).toBeNull();
  });

  it('a tenant (https://host/<tenant>) gets [tenant]room without domain verification and sub = tenant with it', async () => {
    const url = 'https://meet.clinic.example/Clinica';
    const off = await tokenFor({ V4H_JITSI_URL: url, V4H_JITSI_TENANT: 'Clinica' });
    const prosodyOff = { appId: 'clinic', appSecret: secret, mucDomainBase: 'meet.jitsi' };
    expect(await prosodyRefusal(off.jwt, prosodyOff, 'v4h-room', 'clinica', NOW)).toBeNull();
    expect(await prosodyRefusal(off.jwt, prosodyOff, 'v4h-room', undefined, NOW)).toBe('room');
    expect(await prosodyRefusal(off.jwt, prosodyOff, 'v4h-room', 'other', NOW)).toBe('room');
    const on = await tokenFor({ V4H_JITSI_URL: url, V4H_JITSI_TENANT: 'Clinica', V4H_JITSI_DOMAIN_VERIFICATION: 'true' });
    const prosodyOn = { ...prosodyOff, enableDomainVerification: true };
    expect(await prosodyRefusal(on.jwt, prosodyOn, 'v4h-room', 'clinica', NOW)).toBeNull();
    expect(await prosodyRefusal(on.jwt, prosodyOn, 'v4h-room', 'other', NOW)).toBe('room (tenant)');
    expect(await prosodyRefusal(on.jwt, prosodyOn, 'v4h-other', 'clinica', NOW)).toBe('room (tenant)');
    // The iframe and the guest link open the room under the tenant.
    expect(on.issuer.domain).toBe('meet.clinic.example/Clinica');
    expect(on.issuer.roomUrl('v4h-room', null)).toBe('https://meet.clinic.example/Clinica/v4h-room#config.disableDeepLinking=true');
  });

  it('a sub-path install (https://example.com/jitsi) opens rooms under the path; the script comes from there too', async () => {
    const { issuer, jwt } = await tokenFor({ V4H_JITSI_URL: 'https://example.com/jitsi/' });
    expect(issuer.domain).toBe('example.com/jitsi');
    expect(issuer.scriptUrl).toBe('https://example.com/jitsi/external_api.js');
    // What the real IFrame API opens: https://${domain}/${roomName} — and the guest link is that same URL.
    expect(issuer.roomUrl('v4h-room', null)).toBe(`https://${issuer.domain}/${issuer.roomPath('v4h-room')}#config.disableDeepLinking=true`);
    expect(await prosodyRefusal(jwt, { appId: 'clinic', appSecret: secret, mucDomainBase: 'example.com' }, 'v4h-room', undefined, NOW)).toBeNull();
  });

  it('guest links carry the configured Jitsi config instead of the default', async () => {
    const { issuer } = await tokenFor({
      V4H_JITSI_URL: 'https://meet.clinic.example',
      V4H_JITSI_GUEST_LINK_CONFIG: '{"disableDeepLinking":false,"prejoinConfig":{"enabled":false}}',
    });
    expect(issuer.roomUrl('r', null)).toBe(
      `https://meet.clinic.example/r#config.disableDeepLinking=false&config.prejoinConfig=${encodeURIComponent('{"enabled":false}')}`,
    );
    expect(() => loadConfig({ ...base, V4H_JITSI_URL: 'https://m.example', V4H_JITSI_GUEST_LINK_CONFIG: '[1]' })).toThrow(/V4H_JITSI_GUEST_LINK_CONFIG/);
  });
});

describe('configuration a deployment must get right', () => {
  it('refuses an http Jitsi URL with one line saying why', () => {
    const error = (() => {
      try {
        loadConfig({ ...base, V4H_JITSI_URL: 'http://meet.clinic.example' });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error!.variable).toBe('V4H_JITSI_URL');
    expect(error!.message).toMatch(/^V4H_JITSI_URL: Jitsi must be served over https/);
    expect(error!.message).not.toContain('\n');
    // The built-in room keeps working over http.
    expect(loadConfig({ V4H_DATA_DIR: os.tmpdir() }).jitsi.url).toMatch(/^http:/);
  });

  it('a tenant must be the last segment of the URL', () => {
    expect(() => loadConfig({ ...base, V4H_JITSI_URL: 'https://m.example/a', V4H_JITSI_TENANT: 'b' })).toThrow(/V4H_JITSI_TENANT/);
    expect(() => loadConfig({ ...base, V4H_JITSI_DOMAIN_VERIFICATION: 'yes', V4H_JITSI_URL: 'https://m.example' })).toThrow(/V4H_JITSI_DOMAIN_VERIFICATION/);
  });
});

describe('JaaS URLs and key ids', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'v4h-jaas-'));
  const keyFile = path.join(dir, 'jaas.pem');
  fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const appId = 'vpaas-magic-cookie-0123456789abcdef';
  const jaas = (url: string, keyId: string) => ({
    V4H_JITSI_URL: url,
    V4H_JAAS_APP_ID: appId,
    V4H_JAAS_KEY_ID: keyId,
    V4H_JAAS_PRIVATE_KEY_FILE: keyFile,
    V4H_DATA_DIR: dir,
  });

  it('takes the key id bare or as the console shows it, never doubling the prefix', async () => {
    for (const keyId of ['4f4910', `${appId}/4f4910`]) {
      const issuer = await createJitsiTokenIssuer(loadConfig(jaas('https://8x8.vc', keyId)));
      expect(decodeProtectedHeader((await issuer.issue('r', user, 60, NOW))!).kid).toBe(`${appId}/4f4910`);
    }
    expect(() => loadConfig(jaas('https://8x8.vc', 'vpaas-magic-cookie-other/4f4910'))).toThrow(/V4H_JAAS_KEY_ID/);
  });

  it('https://8x8.vc/<AppID> gives the same rooms and links as https://8x8.vc', async () => {
    const bare = await createJitsiTokenIssuer(loadConfig(jaas('https://8x8.vc', 'k')));
    const withApp = await createJitsiTokenIssuer(loadConfig(jaas(`https://8x8.vc/${appId}`, 'k')));
    for (const issuer of [bare, withApp]) {
      expect(issuer.domain).toBe('8x8.vc');
      expect(issuer.roomPath('v4h-room')).toBe(`${appId}/v4h-room`);
      expect(issuer.roomUrl('v4h-room', null)).toBe(`https://8x8.vc/${appId}/v4h-room#config.disableDeepLinking=true`);
    }
    expect(withApp.scriptUrl).toBe(`https://8x8.vc/${appId}/external_api.js`);
    expect(() => loadConfig(jaas('https://8x8.vc/vpaas-magic-cookie-other', 'k'))).toThrow(/V4H_JITSI_URL/);
  });
});
