// Configuration: defaults from the README table, and one clear error naming the variable.
import { describe, expect, it } from 'vitest';
import { ConfigError, defaultDataDir, describeDatabaseUrl, loadConfig } from './config.js';
import { allowedRecordingUrl } from './jitsi/recording-link.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      publicUrl: 'http://127.0.0.1:8080',
      accessTokenTtl: 300,
      refreshTokenTtl: 2_592_000,
      guestTokenTtl: 7200,
      admissionTokenTtl: 300,
      conferenceMaxDuration: 14_400,
      conferenceIdleTimeout: 86_400,
      corsOrigins: [],
      sealDelay: 300,
      anchorInterval: 60,
      ledger: { url: 'local', confirmations: 1 },
      maxUploadBytes: 4 * 1024 ** 3,
      room: { maxParticipants: 4, iceServers: [], accountCheckSeconds: 10 },
    });
    expect(c.databaseUrl).toMatch(/^sqlite:.*data\/v4h\.sqlite$/);
    expect(c.storageUrl).toMatch(/^file:.*data\/files$/);
    expect(c.jitsi).toMatchObject({ mode: 'builtin', url: 'http://127.0.0.1:8080' });
  });

  it('keeps files and personal data by default; retention periods are whole days', () => {
    expect(loadConfig({}).retention).toEqual({ fileDays: undefined, personalDataDays: undefined, intervalSeconds: 3600 });
    expect(loadConfig({ V4H_RETENTION_DAYS: '365', V4H_PERSONAL_DATA_RETENTION_DAYS: 'keep', V4H_RETENTION_INTERVAL: '60' }).retention).toEqual({
      fileDays: 365,
      personalDataDays: undefined,
      intervalSeconds: 60,
    });
    expect(() => loadConfig({ V4H_RETENTION_DAYS: '0' })).toThrow(/V4H_RETENTION_DAYS: expected a whole number ≥ 1/);
    expect(() => loadConfig({ V4H_PERSONAL_DATA_RETENTION_DAYS: '1.5' })).toThrow(/V4H_PERSONAL_DATA_RETENTION_DAYS: expected a whole number/);
  });

  it('keeps a truncated address in the access audit by default, and its rows forever', () => {
    expect(loadConfig({}).audit).toEqual({ addresses: 'truncated', retentionDays: undefined });
    expect(loadConfig({ V4H_AUDIT_ADDRESS: 'hashed', V4H_AUDIT_RETENTION_DAYS: '2190' }).audit).toEqual({ addresses: 'hashed', retentionDays: 2190 });
    expect(() => loadConfig({ V4H_AUDIT_ADDRESS: 'partial' })).toThrow(/V4H_AUDIT_ADDRESS: expected one of truncated, hashed, full, none/);
  });

  it('keeps metrics off by default, and on only with a separate port or a token', () => {
    expect(loadConfig({}).metrics).toEqual({ enabled: false, port: undefined, token: undefined });
    expect(loadConfig({ V4H_METRICS: 'on', V4H_METRICS_PORT: '9100' }).metrics).toEqual({ enabled: true, port: 9100, token: undefined });
    expect(loadConfig({ V4H_METRICS: 'on', V4H_METRICS_TOKEN: 't'.repeat(16) }).metrics).toMatchObject({ enabled: true, port: undefined });
  });

  it('trusts proxies only when told: a hop count or addresses/CIDRs', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ V4H_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ V4H_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ V4H_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1, ::1, fd00::/8, loopback' }).trustProxy).toBe('10.0.0.0/8,127.0.0.1,::1,fd00::/8,loopback');
    for (const bad of ['0', '10.0.0.0/33', 'proxy.example', '1.2.3', '::1/129', '10.0.0.1/8/2']) {
      expect(() => loadConfig({ V4H_TRUST_PROXY: bad }), bad).toThrow(/V4H_TRUST_PROXY/);
    }
  });

  // Issue 15 item 4: `true` made every X-Forwarded-For believed, so each request could claim a new address.
  it('refuses V4H_TRUST_PROXY=true at start, in one line saying why', () => {
    let error: unknown;
    try {
      loadConfig({ V4H_TRUST_PROXY: 'true' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(/^V4H_TRUST_PROXY: .*X-Forwarded-For.*(number of proxies|addresses\/CIDRs)/);
  });

  it('fetches JaaS recordings only from the listed hosts: https, or http to a loopback stand-in', () => {
    const defaults = loadConfig({});
    expect(defaults.jaasRecordingTimeout).toBe(3600);
    const allowed = (link: string, hosts = defaults.jaasRecordingHosts) => allowedRecordingUrl(link, hosts) !== undefined;
    // The host of the link in 8x8's documented example, in any region.
    expect(allowed('https://objectstorage.us-phoenix-1.oraclecloud.com/p/tok/n/ns/b/vpaas-recordings/o/app/room.mp4')).toBe(true);
    expect(allowed('https://objectstorage.eu-frankfurt-1.oraclecloud.com/p/tok/o/x.mp4')).toBe(true);
    for (const link of [
      'http://objectstorage.us-phoenix-1.oraclecloud.com/p/tok/o/x.mp4',
      'https://objectstorage.us-phoenix-1.oraclecloud.com:8443/p/tok/o/x.mp4',
      'https://objectstorage.a.b.oraclecloud.com/x.mp4',
      'https://objectstorage.oraclecloud.com/x.mp4',
      'https://evil.example/objectstorage.us-phoenix-1.oraclecloud.com/x.mp4',
      'https://objectstorage.us-phoenix-1.oraclecloud.com.evil.example/x.mp4',
      'https://user:pw@objectstorage.us-phoenix-1.oraclecloud.com/x.mp4',
      'http://127.0.0.1:8080/x.mp4',
      'not a url',
    ]) {
      expect(allowed(link), link).toBe(false);
    }
    const local = loadConfig({ V4H_JAAS_RECORDING_HOSTS: 'http://127.0.0.1:9999, recordings.example.org:8443 ,*.8x8.vc' }).jaasRecordingHosts;
    expect(allowed('http://127.0.0.1:9999/p/x.mp4', local)).toBe(true);
    expect(allowed('http://127.0.0.1:9998/p/x.mp4', local)).toBe(false);
    expect(allowed('https://127.0.0.1:9999/p/x.mp4', local)).toBe(false);
    expect(allowed('https://recordings.example.org:8443/x.mp4', local)).toBe(true);
    expect(allowed('https://recordings.example.org/x.mp4', local)).toBe(false);
    expect(allowed('https://a.8x8.vc/x.mp4', local)).toBe(true);
    expect(allowed('https://8x8.vc/x.mp4', local)).toBe(false);
  });

  it('picks the Jitsi mode from the variables', () => {
    expect(loadConfig({ V4H_JITSI_URL: 'https://meet.jit.si/' }).jitsi).toMatchObject({ mode: 'none', url: 'https://meet.jit.si' });
    expect(loadConfig({ V4H_JITSI_URL: 'https://j.example', V4H_JITSI_APP_ID: 'a', V4H_JITSI_APP_SECRET: 's' }).jitsi.mode).toBe('prosody');
    expect(
      loadConfig({ V4H_JITSI_URL: 'https://8x8.vc', V4H_JAAS_APP_ID: 'vpaas-magic-cookie-1', V4H_JAAS_KEY_ID: 'k', V4H_JAAS_PRIVATE_KEY_FILE: '/k.pem' }).jitsi
        .mode,
    ).toBe('jaas');
  });

  it('reads the TURN REST API settings of the built-in room', () => {
    const room = loadConfig({ V4H_TURN_URLS: 'turn:t.example:3478?transport=udp, turns:t.example:5349', V4H_TURN_SECRET: 'shared' }).room;
    expect(room.turn).toEqual({ urls: ['turn:t.example:3478?transport=udp', 'turns:t.example:5349'], secret: 'shared', ttlSeconds: 86_400 });
    expect(loadConfig({ V4H_TURN_URLS: 'turn:t.example', V4H_TURN_SECRET: 's', V4H_TURN_CREDENTIAL_TTL: '600' }).room.turn?.ttlSeconds).toBe(600);
    expect(loadConfig({}).room.turn).toBeUndefined();
    expect(loadConfig({ V4H_REDIS_URL: 'redis://127.0.0.1:6379/2' }).room.redisUrl).toBe('redis://127.0.0.1:6379/2');
    expect(loadConfig({}).room.redisUrl).toBeUndefined();
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ V4H_ACCESS_TOKEN_TTL: '5m' }, 'V4H_ACCESS_TOKEN_TTL'],
    [{ V4H_ACCESS_TOKEN_TTL: '0' }, 'V4H_ACCESS_TOKEN_TTL'],
    [{ V4H_DATABASE_URL: 'mysql://x' }, 'V4H_DATABASE_URL'],
    [{ V4H_PUBLIC_URL: 'ftp://x' }, 'V4H_PUBLIC_URL'],
    [{ V4H_TOKEN_SECRET: 'short' }, 'V4H_TOKEN_SECRET'],
    [{ V4H_ADMIN_USERNAME: 'admin' }, 'V4H_ADMIN_PASSWORD'],
    [{ V4H_CORS_ORIGINS: 'https://a.example/path' }, 'V4H_CORS_ORIGINS'],
    [{ V4H_JITSI_URL: 'not a url' }, 'V4H_JITSI_URL'],
    [{ V4H_JITSI_URL: 'https://j.example', V4H_JITSI_APP_ID: 'a' }, 'V4H_JITSI_APP_SECRET'],
    [{ V4H_JAAS_APP_ID: 'vpaas-magic-cookie-1' }, 'V4H_JAAS_KEY_ID'],
    [{ V4H_ICE_SERVERS: '{oops' }, 'V4H_ICE_SERVERS'],
    [{ V4H_ICE_SERVERS: '[{"username":"x"}]' }, 'V4H_ICE_SERVERS'],
    [{ V4H_TURN_URLS: 'turn:turn.example:3478' }, 'V4H_TURN_SECRET'],
    [{ V4H_TURN_SECRET: 's3cret' }, 'V4H_TURN_URLS'],
    [{ V4H_REDIS_URL: '127.0.0.1:6379' }, 'V4H_REDIS_URL'],
    [{ V4H_TURN_URLS: 'https://turn.example', V4H_TURN_SECRET: 's3cret' }, 'V4H_TURN_URLS'],
    [{ V4H_TURN_URLS: 'turn:t.example', V4H_TURN_SECRET: 's', V4H_TURN_CREDENTIAL_TTL: '0' }, 'V4H_TURN_CREDENTIAL_TTL'],
    [{ V4H_LEDGER_URL: 'http://127.0.0.1:8545' }, 'V4H_LEDGER_PRIVATE_KEY'],
    [{ V4H_STORAGE_URL: 'ftp://bucket' }, 'V4H_STORAGE_URL'],
    [{ V4H_TRUST_PROXY: 'everyone' }, 'V4H_TRUST_PROXY'],
    [{ V4H_TRUST_PROXY: 'true' }, 'V4H_TRUST_PROXY'],
    [{ V4H_METRICS: 'on' }, 'V4H_METRICS'],
    [{ V4H_METRICS: 'yes', V4H_METRICS_PORT: '9100' }, 'V4H_METRICS'],
    [{ V4H_METRICS: 'on', V4H_METRICS_TOKEN: 'short' }, 'V4H_METRICS_TOKEN'],
    [{ V4H_METRICS: 'on', V4H_METRICS_TOKEN: 'long enough; but a semicolon' }, 'V4H_METRICS_TOKEN'],
    [{ V4H_RECORDER_SECRET: 'recorder secret with spaces' }, 'V4H_RECORDER_SECRET'],
    [{ V4H_JITSI_EVENTS_SECRET: 'événement-0123456789' }, 'V4H_JITSI_EVENTS_SECRET'],
    [{ V4H_METRICS: 'on', V4H_METRICS_PORT: '8080' }, 'V4H_METRICS_PORT'],
    [{ V4H_METRICS: 'on', V4H_METRICS_PORT: '70000' }, 'V4H_METRICS_PORT'],
    [{ V4H_JAAS_RECORDING_HOSTS: 'http://recordings.example.org' }, 'V4H_JAAS_RECORDING_HOSTS'],
    [{ V4H_JAAS_RECORDING_HOSTS: 'http://10.0.0.5:8080' }, 'V4H_JAAS_RECORDING_HOSTS'],
    [{ V4H_JAAS_RECORDING_HOSTS: 'https://x.example/path' }, 'V4H_JAAS_RECORDING_HOSTS'],
    [{ V4H_JAAS_RECORDING_HOSTS: '*' }, 'V4H_JAAS_RECORDING_HOSTS'],
    [{ V4H_JAAS_RECORDING_HOSTS: 'a*.example.org' }, 'V4H_JAAS_RECORDING_HOSTS'],
    [{ V4H_JAAS_RECORDING_HOSTS: 'ftp://x.example' }, 'V4H_JAAS_RECORDING_HOSTS'],
    [{ V4H_JAAS_RECORDING_HOSTS: 'x.example,' }, 'V4H_JAAS_RECORDING_HOSTS'],
    [{ V4H_JAAS_RECORDING_TIMEOUT: '0' }, 'V4H_JAAS_RECORDING_TIMEOUT'],
  ])('rejects %o naming %s', (env, variable) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message.split('\n')).toHaveLength(1);
  });
});

// Issue 16 item 7: the default was ./data, so the CLI run from another folder used another database.
describe('the default data dir', () => {
  it('is data/ at the repository root, not in the working directory', () => {
    const repoRoot = path.resolve(fileURLToPath(import.meta.url), '../../../..');
    expect(loadConfig({}).dataDir).toBe(path.join(repoRoot, 'data'));
    expect(defaultDataDir('file:///srv/v4h/packages/server/dist/config.js')).toBe('/srv/v4h/data');
  });

  it('installed as a dependency, is data/ at the root of the project that installed it', () => {
    expect(defaultDataDir('file:///srv/clinic/node_modules/@v4h/server/dist/config.js')).toBe('/srv/clinic/data');
  });

  it('printed database URLs hide a PostgreSQL password', () => {
    expect(describeDatabaseUrl('postgres://v4h:s3cret@db:5432/v4h')).toBe('postgres://v4h:***@db:5432/v4h');
    expect(describeDatabaseUrl('postgresql://v4h@db/v4h')).toBe('postgresql://v4h@db/v4h');
    expect(describeDatabaseUrl('sqlite:/srv/v4h/data/v4h.sqlite')).toBe('sqlite:/srv/v4h/data/v4h.sqlite');
  });
});
