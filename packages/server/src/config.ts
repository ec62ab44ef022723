// Configuration: the only module that reads process.env. Parsed and validated once at start.
import { parseNetworks } from './lib/networks.js';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseMasterKey } from './lib/master-key.js';
import { isToken68 } from './lib/bearer.js';

/** How the access audit keeps a client's address (V4H_AUDIT_ADDRESS; audit/addresses.ts applies it). */
export type AddressPolicy = 'truncated' | 'hashed' | 'full' | 'none';
export const ADDRESS_POLICIES: readonly AddressPolicy[] = ['truncated', 'hashed', 'full', 'none'];

export type JitsiMode = 'builtin' | 'prosody' | 'jaas' | 'none';

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** `sqlite:<file>` (default, in the data dir) or `postgres://…`. */
  databaseUrl: string;
  publicUrl: string;
  /** Undefined: generated once and kept in the data dir (see secrets.ts). */
  tokenSecret?: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  admin?: { username: string; password: string };
  corsOrigins: string[];
  /**
   * Fastify trustProxy: false (default), the number of proxies in front (hops), or the proxies' addresses/CIDRs.
   * Never `true`: that believes every X-Forwarded-For entry, which any client can write.
   */
  trustProxy: false | number | string;
  logLevel: string;
  /**
   * Login attempts per window: per (username, address) the strict limit; per username from all addresses a much higher
   * one, with growing delays past the strict one (no lockout of the real user by strangers); per address over all names.
   */
  loginRateLimit: { perUserAddress: number; perUser: number; perAddress: number; windowSeconds: number };
  jitsi: {
    /** Base URL of the Jitsi deployment (no trailing slash). */
    url: string;
    mode: JitsiMode;
    /** Prosody token auth, or the built-in room's generated app (filled in by secrets.ts). */
    appId?: string;
    appSecret?: string;
    /** The JWT `sub` of Prosody tokens: the XMPP domain (default: the Jitsi host), the tenant, or `*`. */
    tokenSubject?: string;
    /** The JWT `aud` of Prosody tokens (must be in Prosody's `asap_accepted_audiences`; default `jitsi`). */
    tokenAudience: string;
    /** The Jitsi tenant the URL's last path segment names (Prosody: `[tenant]room`), when it is one. */
    tenant?: string;
    /** Prosody's `enable_domain_verification`: decides how a tenant's room is named in tokens. */
    domainVerification: boolean;
    /** Jitsi config set in guest links' URL hash (over the default `{ disableDeepLinking: true }`). */
    guestLinkConfig: Record<string, unknown>;
    /** Jitsi modes: the owner's SDK also turns on Jitsi's own lobby in conferences with a waiting room (V4H_JITSI_LOBBY). */
    lobby: boolean;
    /** `keyId` is the bare key id, without the `<appId>/` the 8x8 console shows before it. */
    jaas?: { appId: string; keyId: string; privateKeyFile: string };
  };
  guestTokenTtl: number;
  /**
   * The waiting room (waiting/): `enabled` is the default of conferences that do not say (V4H_WAITING_ROOM, on);
   * `graceSeconds` how long a guest whose page went away keeps their place (a reload comes back to it).
   */
  waitingRoom: { enabled: boolean; graceSeconds: number };
  /** The clinic's name and logo on the guest page (V4H_BRAND_NAME, V4H_BRAND_LOGO_URL), or undefined. */
  brand: { name?: string; logoUrl?: string };
  /**
   * Seconds a user's room token (built-in room, Jitsi JWT) and presence token admit for: they are admission tokens,
   * renewed while the user's account is enabled and login session not revoked (docs/room.md, Admission).
   */
  admissionTokenTtl: number;
  /** Requests naming a session id, per user and minute (bounds probing for other users' ids). */
  conferenceIdRequestsPerMinute: number;
  /** Requests one API key may make per minute (then 429). */
  apiKeyRequestsPerMinute: number;
  conferenceMaxDuration: number;
  conferenceIdleTimeout: number;
  sweepInterval: number;
  room: {
    maxParticipants: number;
    iceServers: RTCIceServerConfig[];
    graceSeconds: number;
    /** How often the built-in room checks that its users may still be in their calls. */
    accountCheckSeconds: number;
    /** TURN REST API (coturn `use-auth-secret`): each participant gets credentials valid for `ttlSeconds`. */
    turn?: { urls: string[]; secret: string; ttlSeconds: number };
    /** Shares rooms between processes (membership, seats, signaling); absent: a room lives in one process. */
    redisUrl?: string;
  };
  sealDelay: number;
  anchorInterval: number;
  ledger: { url: string; privateKey?: string; confirmations: number };
  storageUrl: string;
  maxUploadBytes: number;
  recorderSecret?: string;
  /** S3 credentials and default region from the usual AWS_* variables (else the SDK's default chain). */
  storageCredentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  storageRegion?: string;
  /**
   * Wraps the files' data keys (encryption at rest): 32 bytes, hex or base64url. Unset: generated once in the data dir
   * (`master-key`, mode 0600) by resolveSecrets. `previousMasterKeys` still unwrap while a rotation runs.
   */
  masterKey?: string;
  previousMasterKeys: string[];
  /** Seconds an upload may receive nothing before it is dropped (a stalled client must not hold a file open). */
  uploadIdleTimeout: number;
  /** An upload slower than `minBytesPerSecond` over any `windowSeconds` is dropped; `maxPerUser` run at once per uploader. */
  uploadLimits: { minBytesPerSecond: number; windowSeconds: number; maxPerUser: number };
  /** Seconds a request (other than an upload) may take to send its headers and body before the connection is closed. */
  requestBodyTimeout: number;
  /** Open connections one client address may hold (IPv6 per /64); not applied behind trusted proxies (their job). */
  maxConnectionsPerAddress: number;
  /** Prometheus metrics: off unless V4H_METRICS=on, and then on their own port or behind a bearer token. */
  metrics: { enabled: boolean; port?: number; token?: string };
  /** Milliseconds between two reads of the event log for the event channel (events reach other processes this fast). */
  eventPollInterval: number;
  /** JaaS webhooks (POST /api/jitsi/webhooks): the signing secret from the 8x8 console; unset, the route is absent. */
  jaasWebhookSecret?: string;
  /** Prosody event_sync posts (/api/jitsi/event-sync/…): the bearer secret in its api_headers; unset, absent. */
  jitsiEventsSecret?: string;
  /**
   * What the retention job removes, in whole days after a file's upload or a conference's end (undefined: kept):
   * files' bytes, and conferences' personal data; `intervalSeconds` between two passes.
   */
  retention: { fileDays?: number; personalDataDays?: number; intervalSeconds: number };
  /** The access audit: what it keeps of a client's address, and how many days its rows are kept (undefined: always). */
  audit: { addresses: AddressPolicy; retentionDays?: number };
  /** Where a JaaS `RECORDING_UPLOADED` link may point (V4H_JAAS_RECORDING_HOSTS); nothing else is ever fetched. */
  jaasRecordingHosts: RecordingHost[];
  /** Seconds a JaaS recording download may take in all before it is abandoned (nothing stored). */
  jaasRecordingTimeout: number;
  /**
   * Recording and consent (issue 21): `consent` required (default) refuses to start a recording, or store one, until
   * everyone who joined consented; `abandonAfter` seconds without a chunk before an unfinished chunked upload is
   * removed.
   */
  recording: { consent: 'required' | 'off'; abandonAfter: number };
  /** Webhook deliveries (webhooks/, docs/webhooks.md): where they may go, and how they are retried. */
  webhooks: {
    allowHttp: boolean;
    allowedNetworks: string[];
    timeoutSeconds: number;
    retryBaseMs: number;
    retryWindowSeconds: number;
    disableAfterSeconds: number;
    concurrency: number;
    pollIntervalMs: number;
  };
}

/**
 * A host a JaaS recording link may name: `https` (or `http` for a loopback stand-in only), the host with `*` standing
 * for one DNS label, and the port (443/80 unless written).
 */
export interface RecordingHost {
  scheme: 'https' | 'http';
  host: string;
  port: number;
}

/** The host of the link 8x8 documents in its RECORDING_UPLOADED example: Oracle Cloud object storage, any region. */
export const DEFAULT_JAAS_RECORDING_HOSTS = 'objectstorage.*.oraclecloud.com';

export interface RTCIceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A secret that callers send as `Authorization: Bearer <secret>`: it must be a token68 (lib/bearer.ts), or no header could carry it. */
function bearerSecret(env: Env, name: string): string | undefined {
  const value = str(env, name);
  if (value !== undefined && !isToken68(value)) {
    throw new ConfigError(name, 'may hold only letters, digits and - . _ ~ + / (then = padding): it is sent as a Bearer token');
  }
  return value;
}

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = str(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `expected a whole number, got "${raw}"`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(name, `expected a whole number ≥ ${min}, got "${raw}"`);
  }
  return value;
}

function httpUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `not a URL: "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `expected an http(s) URL, got "${raw}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

/**
 * The data dir when V4H_DATA_DIR is unset: `data/` at the root of this repository (this file is
 * packages/server/{src,dist}/config.*), or, when the server is installed as a dependency, at the root of the project
 * whose node_modules holds it. Never the working directory: `npm start` and `npx v4h` run from any folder then
 * share one database.
 */
export function defaultDataDir(moduleUrl: string = import.meta.url): string {
  const file = fileURLToPath(moduleUrl);
  const parts = file.split(path.sep);
  const modules = parts.indexOf('node_modules');
  const root = modules > 0 ? parts.slice(0, modules).join(path.sep) || path.sep : path.resolve(path.dirname(file), '../../..');
  return path.join(root, 'data');
}

/** A database URL fit to print: a PostgreSQL password is replaced by `***`. */
export function describeDatabaseUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** Parses the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const host = str(env, 'HOST') ?? '127.0.0.1';
  const port = int(env, 'PORT', 8080);
  if (port > 65535) throw new ConfigError('PORT', `expected a port number, got "${port}"`);
  const dataDir = path.resolve(str(env, 'V4H_DATA_DIR') ?? defaultDataDir());

  const databaseUrl = str(env, 'V4H_DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'v4h.sqlite')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new ConfigError('V4H_DATABASE_URL', 'expected sqlite:<file> or postgres://…');
  }

  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const publicUrl = httpUrl('V4H_PUBLIC_URL', str(env, 'V4H_PUBLIC_URL') ?? `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`);

  const tokenSecret = str(env, 'V4H_TOKEN_SECRET');
  if (tokenSecret !== undefined && Buffer.byteLength(tokenSecret) < 32) {
    throw new ConfigError('V4H_TOKEN_SECRET', 'must be at least 32 bytes');
  }

  const adminUsername = str(env, 'V4H_ADMIN_USERNAME');
  const adminPassword = env.V4H_ADMIN_PASSWORD;
  if ((adminUsername === undefined) !== (adminPassword === undefined || adminPassword === '')) {
    throw new ConfigError(adminUsername === undefined ? 'V4H_ADMIN_USERNAME' : 'V4H_ADMIN_PASSWORD', 'V4H_ADMIN_USERNAME and V4H_ADMIN_PASSWORD go together');
  }

  const corsOrigins = (str(env, 'V4H_CORS_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((origin) => {
      const normalized = httpUrl('V4H_CORS_ORIGINS', origin);
      if (new URL(normalized).origin !== normalized) {
        throw new ConfigError('V4H_CORS_ORIGINS', `"${origin}" is not an origin (scheme://host[:port])`);
      }
      return normalized;
    });

  // Jitsi: unset URL means the built-in room served by this server.
  const jitsiRaw = str(env, 'V4H_JITSI_URL');
  const jitsiUrl = jitsiRaw ? httpUrl('V4H_JITSI_URL', jitsiRaw) : publicUrl;
  const appId = str(env, 'V4H_JITSI_APP_ID');
  const appSecret = str(env, 'V4H_JITSI_APP_SECRET');
  if ((appId === undefined) !== (appSecret === undefined)) {
    throw new ConfigError(appId ? 'V4H_JITSI_APP_SECRET' : 'V4H_JITSI_APP_ID', 'app id and secret go together');
  }
  const jaasAppId = str(env, 'V4H_JAAS_APP_ID');
  const jaasKeyId = str(env, 'V4H_JAAS_KEY_ID');
  const jaasKeyFile = str(env, 'V4H_JAAS_PRIVATE_KEY_FILE');
  const jaasSet = [jaasAppId, jaasKeyId, jaasKeyFile].filter((v) => v !== undefined).length;
  if (jaasSet !== 0 && jaasSet !== 3) {
    throw new ConfigError(
      !jaasAppId ? 'V4H_JAAS_APP_ID' : !jaasKeyId ? 'V4H_JAAS_KEY_ID' : 'V4H_JAAS_PRIVATE_KEY_FILE',
      'V4H_JAAS_APP_ID, V4H_JAAS_KEY_ID and V4H_JAAS_PRIVATE_KEY_FILE go together',
    );
  }
  if (jaasSet === 3 && appId) {
    throw new ConfigError('V4H_JAAS_APP_ID', 'configure either JaaS or a self-hosted app id, not both');
  }
  let mode: JitsiMode;
  if (!jitsiRaw) mode = 'builtin';
  else if (jaasSet === 3) mode = 'jaas';
  else if (appId) mode = 'prosody';
  else mode = 'none';
  if (mode === 'jaas' && !jaasAppId!.startsWith('vpaas-magic-cookie-')) {
    throw new ConfigError('V4H_JAAS_APP_ID', 'a JaaS app id starts with "vpaas-magic-cookie-"');
  }
  const jitsiPath = jitsiRaw ? new URL(jitsiUrl).pathname.replace(/\/+$/, '') : '';
  if (jitsiRaw && new URL(jitsiUrl).protocol !== 'https:') {
    // The IFrame API always opens https://<domain>/<room>: an http deployment would load a script whose iframe fails.
    throw new ConfigError('V4H_JITSI_URL', `Jitsi must be served over https (its IFrame API always opens https://…), got "${jitsiRaw}"`);
  }
  // The console shows "<appId>/<keyId>"; the bare key id is kept so that the token's kid never doubles the prefix.
  let jaasKey = jaasKeyId;
  if (mode === 'jaas' && jaasKey!.includes('/')) {
    const [prefix, bare] = jaasKey!.split('/', 2) as [string, string];
    if (prefix !== jaasAppId || !bare) {
      throw new ConfigError('V4H_JAAS_KEY_ID', `expected "<key id>" or "${jaasAppId}/<key id>", got "${jaasKey}"`);
    }
    jaasKey = bare;
  }
  // JaaS documents https://8x8.vc/<AppID>/external_api.js: that path is the app id, which rooms carry anyway.
  if (mode === 'jaas' && jitsiPath !== '' && jitsiPath !== `/${jaasAppId}`) {
    throw new ConfigError('V4H_JITSI_URL', `a JaaS URL is https://8x8.vc or https://8x8.vc/${jaasAppId}, got "${jitsiRaw}"`);
  }
  const tenant = str(env, 'V4H_JITSI_TENANT');
  if (tenant !== undefined && (mode !== 'prosody' || jitsiPath.split('/').pop() !== tenant)) {
    throw new ConfigError('V4H_JITSI_TENANT', `names the last path segment of V4H_JITSI_URL (a self-hosted tenant), got "${tenant}"`);
  }
  let guestLinkConfig: Record<string, unknown> = {};
  const guestLinkRaw = str(env, 'V4H_JITSI_GUEST_LINK_CONFIG');
  if (guestLinkRaw) {
    try {
      guestLinkConfig = JSON.parse(guestLinkRaw) as Record<string, unknown>;
    } catch {
      guestLinkConfig = [] as never;
    }
    if (typeof guestLinkConfig !== 'object' || guestLinkConfig === null || Array.isArray(guestLinkConfig)) {
      throw new ConfigError('V4H_JITSI_GUEST_LINK_CONFIG', 'expected a JSON object of Jitsi config options, e.g. {"disableDeepLinking":false}');
    }
  }
  const lobbyRaw = str(env, 'V4H_JITSI_LOBBY') ?? 'off';
  if (lobbyRaw !== 'on' && lobbyRaw !== 'off') throw new ConfigError('V4H_JITSI_LOBBY', `expected on or off, got "${lobbyRaw}"`);
  const domainVerificationRaw = str(env, 'V4H_JITSI_DOMAIN_VERIFICATION') ?? 'false';
  if (domainVerificationRaw !== 'true' && domainVerificationRaw !== 'false') {
    throw new ConfigError('V4H_JITSI_DOMAIN_VERIFICATION', `expected true or false, got "${domainVerificationRaw}"`);
  }

  let iceServers: RTCIceServerConfig[] = [];
  const iceRaw = str(env, 'V4H_ICE_SERVERS');
  if (iceRaw) {
    try {
      iceServers = JSON.parse(iceRaw) as RTCIceServerConfig[];
    } catch {
      throw new ConfigError('V4H_ICE_SERVERS', 'not valid JSON (expected an array of RTCIceServer)');
    }
    if (!Array.isArray(iceServers) || !iceServers.every((s) => s && (typeof s.urls === 'string' || Array.isArray(s.urls)))) {
      throw new ConfigError('V4H_ICE_SERVERS', 'expected an array of { urls, username?, credential? }');
    }
  }

  const turnUrls = (str(env, 'V4H_TURN_URLS') ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  const turnSecret = str(env, 'V4H_TURN_SECRET');
  for (const u of turnUrls) {
    if (!/^turns?:[^\s]+$/.test(u)) throw new ConfigError('V4H_TURN_URLS', `expected comma-separated turn: or turns: URLs, got "${u}"`);
  }
  if (turnUrls.length > 0 && !turnSecret) throw new ConfigError('V4H_TURN_SECRET', 'required with V4H_TURN_URLS (coturn static-auth-secret)');
  if (turnSecret && turnUrls.length === 0) throw new ConfigError('V4H_TURN_URLS', 'required with V4H_TURN_SECRET');
  const turnTtl = int(env, 'V4H_TURN_CREDENTIAL_TTL', 86_400, 1);
  const redisUrl = str(env, 'V4H_REDIS_URL');
  if (redisUrl && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) throw new ConfigError('V4H_REDIS_URL', 'expected redis://host:port or rediss://host:port');

  const ledgerUrl = str(env, 'V4H_LEDGER_URL') ?? 'local';
  if (ledgerUrl !== 'local') httpUrl('V4H_LEDGER_URL', ledgerUrl);
  const ledgerKey = str(env, 'V4H_LEDGER_PRIVATE_KEY');
  if (ledgerUrl !== 'local' && !ledgerKey) {
    throw new ConfigError('V4H_LEDGER_PRIVATE_KEY', 'required with an EVM V4H_LEDGER_URL');
  }
  if (ledgerKey && !/^0x[0-9a-fA-F]{64}$/.test(ledgerKey)) {
    throw new ConfigError('V4H_LEDGER_PRIVATE_KEY', 'expected 0x followed by 64 hex digits');
  }

  const storageUrl = str(env, 'V4H_STORAGE_URL') ?? `file:${path.join(dataDir, 'files')}`;
  if (!/^(file:|s3:\/\/)/.test(storageUrl)) {
    throw new ConfigError('V4H_STORAGE_URL', 'expected file:<dir> or s3://bucket?endpoint=…&region=…');
  }

  const masterKey = str(env, 'V4H_MASTER_KEY');
  if (masterKey !== undefined) masterKeyOrThrow('V4H_MASTER_KEY', masterKey);
  const previousMasterKeys = (str(env, 'V4H_MASTER_KEY_PREVIOUS') ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  for (const key of previousMasterKeys) masterKeyOrThrow('V4H_MASTER_KEY_PREVIOUS', key);

  const trustProxy = parseTrustProxy(str(env, 'V4H_TRUST_PROXY'));

  const metrics = metricsConfig(env, port);

  const waitingRaw = str(env, 'V4H_WAITING_ROOM') ?? 'on';
  if (waitingRaw !== 'on' && waitingRaw !== 'off') throw new ConfigError('V4H_WAITING_ROOM', `expected on or off, got "${waitingRaw}"`);
  const brandLogo = str(env, 'V4H_BRAND_LOGO_URL');
  if (brandLogo !== undefined && !/^https?:\/\/[^\s]+$/.test(brandLogo))
    throw new ConfigError('V4H_BRAND_LOGO_URL', `expected an http(s) URL, got "${brandLogo}"`);

  return {
    host,
    port,
    dataDir,
    databaseUrl,
    publicUrl,
    tokenSecret,
    accessTokenTtl: int(env, 'V4H_ACCESS_TOKEN_TTL', 300, 1),
    refreshTokenTtl: int(env, 'V4H_REFRESH_TOKEN_TTL', 2_592_000, 1),
    admin: adminUsername ? { username: adminUsername, password: adminPassword! } : undefined,
    corsOrigins,
    trustProxy,
    logLevel: str(env, 'V4H_LOG_LEVEL') ?? 'info',
    loginRateLimit: {
      perUserAddress: int(env, 'V4H_LOGIN_LIMIT_PER_USER_ADDRESS', 10, 1),
      perUser: int(env, 'V4H_LOGIN_LIMIT_PER_USER', 100, 1),
      perAddress: int(env, 'V4H_LOGIN_LIMIT_PER_ADDRESS', 50, 1),
      windowSeconds: int(env, 'V4H_LOGIN_LIMIT_WINDOW', 300, 1),
    },
    jitsi: {
      url: jitsiUrl,
      mode,
      appId,
      appSecret,
      tokenSubject: str(env, 'V4H_JITSI_TOKEN_SUBJECT'),
      tokenAudience: str(env, 'V4H_JITSI_TOKEN_AUDIENCE') ?? 'jitsi',
      tenant,
      domainVerification: domainVerificationRaw === 'true',
      lobby: lobbyRaw === 'on',
      guestLinkConfig,
      jaas: mode === 'jaas' ? { appId: jaasAppId!, keyId: jaasKey!, privateKeyFile: jaasKeyFile! } : undefined,
    },
    guestTokenTtl: int(env, 'V4H_GUEST_TOKEN_TTL', 7200, 1),
    waitingRoom: { enabled: waitingRaw === 'on', graceSeconds: int(env, 'V4H_WAITING_ROOM_GRACE', 10, 0) },
    brand: { name: str(env, 'V4H_BRAND_NAME'), logoUrl: brandLogo },
    admissionTokenTtl: int(env, 'V4H_ADMISSION_TOKEN_TTL', 300, 2),
    conferenceIdRequestsPerMinute: int(env, 'V4H_CONFERENCE_ID_REQUESTS_PER_MINUTE', 60, 1),
    apiKeyRequestsPerMinute: int(env, 'V4H_API_KEY_REQUESTS_PER_MINUTE', 600, 1),
    conferenceMaxDuration: int(env, 'V4H_CONFERENCE_MAX_DURATION', 14_400, 1),
    conferenceIdleTimeout: int(env, 'V4H_CONFERENCE_IDLE_TIMEOUT', 86_400, 1),
    sweepInterval: int(env, 'V4H_SWEEP_INTERVAL', 30, 1),
    room: {
      maxParticipants: int(env, 'V4H_ROOM_MAX_PARTICIPANTS', 4, 2),
      iceServers,
      graceSeconds: int(env, 'V4H_ROOM_GRACE_PERIOD', 15, 0),
      accountCheckSeconds: int(env, 'V4H_ROOM_ACCOUNT_CHECK_INTERVAL', 10, 1),
      turn: turnSecret ? { urls: turnUrls, secret: turnSecret, ttlSeconds: turnTtl } : undefined,
      redisUrl,
    },
    sealDelay: int(env, 'V4H_SEAL_DELAY', 300, 0),
    anchorInterval: int(env, 'V4H_ANCHOR_INTERVAL', 60, 1),
    ledger: { url: ledgerUrl, privateKey: ledgerKey, confirmations: int(env, 'V4H_LEDGER_CONFIRMATIONS', 1, 0) },
    storageUrl,
    maxUploadBytes: int(env, 'V4H_MAX_UPLOAD_BYTES', 4 * 1024 ** 3, 1),
    recorderSecret: bearerSecret(env, 'V4H_RECORDER_SECRET'),
    storageCredentials: storageCredentials(env),
    storageRegion: str(env, 'AWS_REGION') ?? str(env, 'AWS_DEFAULT_REGION'),
    masterKey,
    previousMasterKeys,
    uploadIdleTimeout: int(env, 'V4H_UPLOAD_IDLE_TIMEOUT', 60, 1),
    uploadLimits: {
      minBytesPerSecond: int(env, 'V4H_UPLOAD_MIN_RATE', 4096, 0),
      windowSeconds: int(env, 'V4H_UPLOAD_RATE_WINDOW', 30, 1),
      maxPerUser: int(env, 'V4H_UPLOADS_PER_USER', 4, 1),
    },
    requestBodyTimeout: int(env, 'V4H_REQUEST_BODY_TIMEOUT', 10, 1),
    maxConnectionsPerAddress: int(env, 'V4H_MAX_CONNECTIONS_PER_ADDRESS', 100, 1),
    metrics,
    eventPollInterval: int(env, 'V4H_EVENT_POLL_INTERVAL_MS', 1000, 50),
    jaasWebhookSecret: str(env, 'V4H_JAAS_WEBHOOK_SECRET'),
    jitsiEventsSecret: bearerSecret(env, 'V4H_JITSI_EVENTS_SECRET'),
    jaasRecordingHosts: parseRecordingHosts(str(env, 'V4H_JAAS_RECORDING_HOSTS') ?? DEFAULT_JAAS_RECORDING_HOSTS),
    jaasRecordingTimeout: int(env, 'V4H_JAAS_RECORDING_TIMEOUT', 3600, 1),
    recording: {
      consent: recordingConsent(str(env, 'V4H_RECORDING_CONSENT') ?? 'required'),
      abandonAfter: int(env, 'V4H_RECORDING_ABANDON_AFTER', 86_400, 60),
    },
    retention: {
      fileDays: days(env, 'V4H_RETENTION_DAYS'),
      personalDataDays: days(env, 'V4H_PERSONAL_DATA_RETENTION_DAYS'),
      intervalSeconds: int(env, 'V4H_RETENTION_INTERVAL', 3600, 1),
    },
    audit: { addresses: addressPolicy(str(env, 'V4H_AUDIT_ADDRESS') ?? 'truncated'), retentionDays: days(env, 'V4H_AUDIT_RETENTION_DAYS') },
    webhooks: {
      allowHttp: flag(env, 'V4H_WEBHOOKS_ALLOW_HTTP'),
      allowedNetworks: networks(env, 'V4H_WEBHOOKS_ALLOWED_NETWORKS'),
      timeoutSeconds: int(env, 'V4H_WEBHOOKS_TIMEOUT', 10, 1),
      retryBaseMs: int(env, 'V4H_WEBHOOKS_RETRY_BASE_MS', 10_000, 1),
      retryWindowSeconds: int(env, 'V4H_WEBHOOKS_RETRY_WINDOW', 259_200, 1),
      disableAfterSeconds: int(env, 'V4H_WEBHOOKS_DISABLE_AFTER', 259_200, 0),
      concurrency: int(env, 'V4H_WEBHOOKS_CONCURRENCY', 32, 1),
      pollIntervalMs: int(env, 'V4H_WEBHOOKS_POLL_INTERVAL_MS', 1000, 10),
    },
  };
}

function recordingConsent(raw: string): Config['recording']['consent'] {
  if (raw !== 'required' && raw !== 'off') throw new ConfigError('V4H_RECORDING_CONSENT', `expected required or off, got "${raw}"`);
  return raw;
}

/** `true` or `false` (unset: false). */
function flag(env: Env, name: string): boolean {
  const raw = str(env, name);
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(name, `expected true or false, got "${raw}"`);
}

function networks(env: Env, name: string): string[] {
  try {
    return parseNetworks(str(env, name));
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
}

function addressPolicy(raw: string): AddressPolicy {
  if (!(ADDRESS_POLICIES as readonly string[]).includes(raw))
    throw new ConfigError('V4H_AUDIT_ADDRESS', `expected one of ${ADDRESS_POLICIES.join(', ')}, got "${raw}"`);
  return raw as AddressPolicy;
}

/** A retention period in whole days (≥ 1), or undefined (unset or `keep`): nothing is removed. */
function days(env: Env, name: string): number | undefined {
  if (str(env, name) === 'keep') return undefined;
  return str(env, name) === undefined ? undefined : int(env, name, 0, 1);
}

const RECORDING_HOSTS_HELP =
  'expected comma-separated hosts (e.g. objectstorage.*.oraclecloud.com, * for one DNS label), or http://127.0.0.1:<port> for a local stand-in';
const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)$/;

/**
 * V4H_JAAS_RECORDING_HOSTS: `host[:port]` entries for https links; `http://` only for a loopback address (a stand-in of
 * the recording link in tests or a local proxy): anything else in plain http would send the link's secret in clear.
 */
function parseRecordingHosts(raw: string): RecordingHost[] {
  return raw.split(',').map((entry) => {
    const match = /^(?:(https?):\/\/)?((?:[a-z0-9*](?:[a-z0-9-]*[a-z0-9])?)(?:\.(?:[a-z0-9*](?:[a-z0-9-]*[a-z0-9])?))*|\[::1\])(?::(\d{1,5}))?\/?$/.exec(
      entry.trim().toLowerCase(),
    );
    const host = match?.[2];
    if (!match || !host || host.split('.').some((label) => label.includes('*') && label !== '*') || host.split('.').every((label) => label === '*')) {
      throw new ConfigError('V4H_JAAS_RECORDING_HOSTS', `"${entry.trim()}" is not a host; ${RECORDING_HOSTS_HELP}`);
    }
    const scheme = (match[1] ?? 'https') as RecordingHost['scheme'];
    if (scheme === 'http' && !LOOPBACK.test(host)) {
      throw new ConfigError('V4H_JAAS_RECORDING_HOSTS', `plain http only for a loopback stand-in (127.0.0.1, [::1], localhost), got "${entry.trim()}"`);
    }
    const port = match[3] === undefined ? (scheme === 'https' ? 443 : 80) : Number(match[3]);
    if (port < 1 || port > 65535) throw new ConfigError('V4H_JAAS_RECORDING_HOSTS', `"${entry.trim()}" has no valid port`);
    return { scheme, host, port };
  });
}

const TRUST_PROXY_HELP = 'expected the number of proxies in front of V4H (e.g. 1) or their addresses/CIDRs, comma-separated';

/**
 * V4H_TRUST_PROXY: unset/false, a hop count, or the proxies' addresses/CIDRs (also proxy-addr's `loopback`,
 * `linklocal`, `uniquelocal`). `true` is refused: it makes the client address whatever the client writes first in
 * X-Forwarded-For, so each request could claim a new address and escape the per-address login limit.
 */
function parseTrustProxy(raw: string | undefined): false | number | string {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') {
    throw new ConfigError(
      'V4H_TRUST_PROXY',
      `"true" would believe any X-Forwarded-For a client sends (spoofed addresses escape the login limits); ${TRUST_PROXY_HELP}`,
    );
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops < 1 || hops > 16) throw new ConfigError('V4H_TRUST_PROXY', `a hop count from 1 to 16, got "${raw}"`);
    return hops;
  }
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    const [address, prefix, ...rest] = entry.split('/');
    const version = isIP(address ?? '');
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 6 ? 128 : 32));
    if (version === 0 || !prefixOk || rest.length > 0) throw new ConfigError('V4H_TRUST_PROXY', `"${entry}" is not an address or CIDR; ${TRUST_PROXY_HELP}`);
  }
  return entries.join(',');
}

function masterKeyOrThrow(name: string, value: string): void {
  try {
    parseMasterKey(value);
  } catch (error) {
    throw new ConfigError(name, (error as Error).message);
  }
}

function storageCredentials(env: Env): Config['storageCredentials'] {
  const accessKeyId = str(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = str(env, 'AWS_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError(accessKeyId ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID', 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY go together');
  }
  return accessKeyId ? { accessKeyId, secretAccessKey: secretAccessKey!, sessionToken: str(env, 'AWS_SESSION_TOKEN') } : undefined;
}

function metricsConfig(env: Env, apiPort: number): Config['metrics'] {
  const switchRaw = str(env, 'V4H_METRICS') ?? 'off';
  if (switchRaw !== 'on' && switchRaw !== 'off') throw new ConfigError('V4H_METRICS', `expected on or off, got "${switchRaw}"`);
  const token = bearerSecret(env, 'V4H_METRICS_TOKEN');
  if (token !== undefined && Buffer.byteLength(token) < 16) throw new ConfigError('V4H_METRICS_TOKEN', 'must be at least 16 bytes');
  const port = str(env, 'V4H_METRICS_PORT') === undefined ? undefined : int(env, 'V4H_METRICS_PORT', 0);
  if (port !== undefined && (port > 65535 || (port !== 0 && port === apiPort))) {
    throw new ConfigError('V4H_METRICS_PORT', `expected a port other than PORT, got "${port}"`);
  }
  // Never open by default: on the public port the metrics need a token.
  if (switchRaw === 'on' && port === undefined && token === undefined) {
    throw new ConfigError('V4H_METRICS', 'set V4H_METRICS_PORT (a separate port) or V4H_METRICS_TOKEN (a bearer token) with V4H_METRICS=on');
  }
  return { enabled: switchRaw === 'on', port, token };
}
