// Builds manifests from event rows and hashes them (the format is specified in docs/manifest.md).
import { canonicalize } from '../lib/verify/jcs.js';
import { sha256Hex } from '../lib/ids.js';
import { canonicalEvent, EVENT_FORMAT_VERSION } from '../conferences/event-log.js';
import type { ConferenceEventsTable } from '../db/schema.js';
import type { Manifest, ManifestEvent } from '../lib/verify/format.js';

export const MANIFEST_FORMAT_VERSION = 1;

/** The manifest form of a stored event: its canonical object plus its hash. */
export function manifestEvent(row: ConferenceEventsTable): ManifestEvent {
  return { ...canonicalEvent(row), hash: row.hash } as ManifestEvent;
}

export interface ManifestInput {
  sessionId: string;
  part: number;
  prev: string | null;
  sealedAt: number;
  /** Consecutive events, oldest first. */
  events: ConferenceEventsTable[];
}

export function buildManifest(input: ManifestInput): Manifest {
  const events = input.events.map(manifestEvent);
  return {
    v: MANIFEST_FORMAT_VERSION,
    kind: 'v4h-manifest',
    sessionId: input.sessionId,
    part: input.part,
    prev: input.prev,
    fromSeq: events[0].seq,
    toSeq: events[events.length - 1].seq,
    sealedAt: new Date(input.sealedAt).toISOString(),
    events,
  };
}

/** The manifest's canonical text (what is stored) and its SHA-256 (the conference's `hash`). */
export function sealManifest(manifest: Manifest): { body: string; hash: string } {
  const body = canonicalize(manifest);
  return { body, hash: sha256Hex(body) };
}

const str = JSON.stringify;

/**
 * The same text as `canonicalize(buildManifest(input))`, written directly from the stored rows (the
 * sealer's fast path: no parse and re-serialize of every event). Members are in JCS order; `data`
 * is stored as JCS text by the event log, and JCS strings are what JSON.stringify writes.
 */
export function manifestText(input: ManifestInput): string {
  const events = input.events.map(
    (e) =>
      `{"actor":${str(e.actor)},"at":"${new Date(e.at).toISOString()}","data":${e.data},"hash":"${e.hash}","prev":"${e.prev_hash}",` +
      `"seq":${e.seq},"sessionId":${str(e.session_id)},"type":${str(e.type)},"v":${EVENT_FORMAT_VERSION}}`,
  );
  const first = input.events[0].seq;
  const last = input.events[input.events.length - 1].seq;
  return (
    `{"events":[${events.join(',')}],"fromSeq":${first},"kind":"v4h-manifest","part":${input.part},` +
    `"prev":${input.prev === null ? 'null' : `"${input.prev}"`},"sealedAt":"${new Date(input.sealedAt).toISOString()}",` +
    `"sessionId":${str(input.sessionId)},"toSeq":${last},"v":${MANIFEST_FORMAT_VERSION}}`
  );
}
