// The Prometheus implementation of Metrics (prom-client): counters fed by the services, gauges read at scrape time.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { HttpRequestMetrics } from './http-requests.js';
import type { LoginOutcome, Metrics, UploadOutcome } from './metrics.js';
import type { Backend } from '../lib/error-backends.js';

/** What the scrape-time gauges read. */
export interface ScrapeSources {
  db: Db;
  clock: Clock;
  /** The built-in room's live counts (absent with Jitsi). */
  room?: () => { counts(): { rooms: number; participants: number } } | undefined;
  log?: { warn(obj: object, msg: string): void };
}

const LOGIN_OUTCOMES: LoginOutcome[] = ['success', 'failure', 'rate_limited', 'error'];
const UPLOAD_OUTCOMES: UploadOutcome[] = ['stored', 'rejected', 'failed'];
const BACKENDS: Backend[] = ['database', 'storage', 'other'];
/** States counted at scrape: the live ones (ended conferences only grow; counting them would scan the table). */
const LIVE_STATES = ['requested', 'started'] as const;

/** Every V4H metric in one registry; `exposition()` is the text Prometheus scrapes. */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #http = new HttpRequestMetrics();
  readonly #logins: Counter<'outcome'>;
  readonly #uploads: Counter<'outcome'>;
  readonly #uploadBytes: Counter;
  readonly #uploadSeconds: Histogram;
  readonly #sealed: Counter;
  readonly #batches: Counter;
  readonly #anchoredManifests: Counter;
  readonly #anchorLag: Histogram;
  readonly #ledgerErrors: Counter;
  readonly #backendErrors: Counter<'backend'>;
  readonly #sockets: Gauge;
  readonly #sources: ScrapeSources;

  constructor(sources: ScrapeSources) {
    this.#sources = sources;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#http.register(this.registry);
    this.#logins = new Counter({ name: 'v4h_logins_total', help: 'Login attempts by outcome', labelNames: ['outcome'], registers });
    for (const outcome of LOGIN_OUTCOMES) this.#logins.inc({ outcome }, 0);
    this.#uploads = new Counter({
      name: 'v4h_uploads_total',
      help: 'Uploads by outcome (stored, rejected: 4xx, failed: 5xx)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of UPLOAD_OUTCOMES) this.#uploads.inc({ outcome }, 0);
    this.#uploadBytes = new Counter({ name: 'v4h_upload_bytes_total', help: 'Bytes of stored uploads', registers });
    this.#uploadSeconds = new Histogram({
      name: 'v4h_upload_duration_seconds',
      help: 'Time from the start of an upload to its answer (all outcomes)',
      buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 1800],
      registers,
    });
    this.#sealed = new Counter({ name: 'v4h_manifests_sealed_total', help: 'Manifests sealed', registers });
    this.#batches = new Counter({ name: 'v4h_anchor_batches_total', help: 'Merkle batches anchored on the ledger', registers });
    this.#anchoredManifests = new Counter({ name: 'v4h_anchored_manifests_total', help: 'Manifests anchored on the ledger', registers });
    this.#anchorLag = new Histogram({
      name: 'v4h_anchor_lag_seconds',
      help: 'Seconds from a conference end (or a later part being sealed) to its anchor; the oldest in each batch',
      buckets: [30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400],
      registers,
    });
    this.#ledgerErrors = new Counter({ name: 'v4h_ledger_errors_total', help: 'Failed attempts to anchor a batch (retried with backoff)', registers });
    this.#backendErrors = new Counter({
      name: 'v4h_backend_errors_total',
      help: 'Unexpected errors (5xx) by the back end they came from',
      labelNames: ['backend'],
      registers,
    });
    for (const backend of BACKENDS) this.#backendErrors.inc({ backend }, 0);
    this.#sockets = new Gauge({ name: 'v4h_signaling_sockets', help: 'Open signaling WebSockets of the built-in room', registers });
    this.#scrapeGauges(registers);
  }

  /** The text exposition and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  httpRequest(route: string | undefined, method: string, status: number, seconds: number): void {
    this.#http.record(route, method, status, seconds);
  }
  login(outcome: LoginOutcome): void {
    this.#logins.inc({ outcome });
  }
  upload(outcome: UploadOutcome, bytes: number, seconds: number): void {
    this.#uploads.inc({ outcome });
    if (bytes > 0) this.#uploadBytes.inc(bytes);
    this.#uploadSeconds.observe(seconds);
  }
  manifestsSealed(count: number): void {
    if (count > 0) this.#sealed.inc(count);
  }
  batchAnchored(batchId: string, size: number, anchoredAt: number): void {
    this.#batches.inc();
    this.#anchoredManifests.inc(size);
    // The lag needs the members' end times: one indexed query per batch, off the anchoring path.
    void this.#oldestStart(batchId).then(
      (since) => since !== undefined && this.#anchorLag.observe(Math.max(0, (anchoredAt - since) / 1000)),
      (err: unknown) => this.#sources.log?.warn({ err }, 'metrics: anchor lag query failed'),
    );
  }
  ledgerError(): void {
    this.#ledgerErrors.inc();
  }
  backendError(backend: Backend): void {
    this.#backendErrors.inc({ backend });
  }
  signalingSocket(delta: 1 | -1): void {
    this.#sockets.inc(delta);
  }

  /** The earliest end (first parts) or sealing (later parts) among a batch's manifests, in ms. */
  async #oldestStart(batchId: string): Promise<number | undefined> {
    const { rows } = await sql<{ since: number | string | null }>`select min(case when m.prev_hash is null then c.ended_at else m.sealed_at end) as since
      from manifests m join conferences c on c.session_id = m.session_id where m.batch_id = ${batchId}`.execute(this.#sources.db.kysely);
    const since = rows[0]?.since;
    return since === null || since === undefined ? undefined : Number(since);
  }

  /** Gauges computed when Prometheus scrapes: a few indexed queries, nothing on the request path. */
  #scrapeGauges(registers: Registry[]) {
    const { db, clock, room } = this.#sources;
    const warn = (err: unknown) => this.#sources.log?.warn({ err }, 'metrics: a scrape-time query failed');
    new Gauge({
      name: 'v4h_database_up',
      help: '1 when the database answers a trivial query, else 0',
      registers,
      async collect() {
        this.set((await db.ping()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'v4h_conferences',
      help: 'Conferences by live state (requested, started), from the database',
      labelNames: ['state'],
      registers,
      async collect() {
        const rows = await db.kysely
          .selectFrom('conferences')
          .select((eb) => ['state', eb.fn.countAll<number | string>().as('n')])
          .where('state', 'in', [...LIVE_STATES])
          .groupBy('state')
          .execute()
          .catch((err) => (warn(err), undefined));
        if (!rows) return; // the database is down: v4h_database_up says so
        for (const state of LIVE_STATES) this.set({ state }, Number(rows.find((r) => r.state === state)?.n ?? 0));
      },
    });
    new Gauge({
      name: 'v4h_anchor_oldest_pending_seconds',
      help: 'Age of the oldest sealed record not anchored yet (0 when none waits)',
      registers,
      async collect() {
        const oldest = await oldestUnanchored(db).catch((err) => (warn(err), null));
        if (oldest === null) return;
        this.set(oldest === undefined ? 0 : Math.max(0, (clock.now() - oldest) / 1000));
      },
    });
    new Gauge({
      name: 'v4h_room_participants',
      help: 'Participants in the built-in rooms of this process',
      registers,
      collect() {
        this.set(room?.()?.counts().participants ?? 0);
      },
    });
    new Gauge({
      name: 'v4h_rooms_active',
      help: 'Built-in rooms with at least one participant in this process',
      registers,
      collect() {
        this.set(room?.()?.counts().rooms ?? 0);
      },
    });
  }
}

/** The sealed time of the oldest unbatched manifest or the creation of the oldest batch not anchored, in ms. */
async function oldestUnanchored(db: Db): Promise<number | undefined> {
  const unbatched = await db.kysely
    .selectFrom('manifests')
    .select((eb) => eb.fn.min('sealed_at').as('t'))
    .where('batch_id', 'is', null)
    .executeTakeFirst();
  const pending = await db.kysely
    .selectFrom('anchor_batches')
    .select((eb) => eb.fn.min('created_at').as('t'))
    .where('status', 'in', ['pending', 'submitted'])
    .executeTakeFirst();
  const times = [unbatched?.t, pending?.t].filter((t) => t !== null && t !== undefined).map(Number);
  return times.length === 0 ? undefined : Math.min(...times);
}
