// Builds manifests from event rows and hashes them (the format is specified in docs/manifest.md).
import { canonicalize } from '../lib/verify/jcs.js';
import { sha256Hex } from '../lib/ids.js';
import { canonicalEvent } from '../conferences/event-log.js';
import type { ConferenceEventsTable } from '../db/schema.js';
import type { Manifest, ManifestEvent } from '../lib/verify/format.js';
// The sealer writes the same text directly from stored rows: text.ts (light imports: its worker thread loads it).
import { MANIFEST_FORMAT_VERSION } from './text.js';

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

/** The manifest's canonical text (what is hashed) and its SHA-256 (the conference's `hash`). */
export function sealManifest(manifest: Manifest): { body: string; hash: string } {
  const body = canonicalize(manifest);
  return { body, hash: sha256Hex(body) };
}
