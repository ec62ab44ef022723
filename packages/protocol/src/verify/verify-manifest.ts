// Checks of one manifest on its own and against its predecessor: event hashes, the chain, the link, the hash.
import { isHash } from './bytes.js';
import { jcsHash } from './digest.js';
import { GENESIS_HASH, type BundleEntry, type ManifestEvent } from './format.js';
import type { Recorder } from './report.js';

const short = (hash: unknown) => (typeof hash === 'string' ? `${hash.slice(0, 12)}…` : String(hash));

/** Hash of an event: SHA-256 of the JCS of the event without its `hash` member. */
export async function computeEventHash(event: ManifestEvent): Promise<string> {
  const { hash: _stated, ...body } = event;
  return jcsHash(body);
}

/**
 * Verifies manifest `index` of a bundle. `previous` is the entry before it (null for part 0).
 * Returns the recomputed manifest hash.
 */
export async function verifyManifest(rec: Recorder, sessionId: string, index: number, entry: BundleEntry, previous: BundleEntry | null): Promise<string> {
  const m = entry?.manifest;
  const subject = `manifest ${index}`;
  const formatOk =
    !!m &&
    m.v === 1 &&
    m.kind === 'v4h-manifest' &&
    m.sessionId === sessionId &&
    m.part === index &&
    Array.isArray(m.events) &&
    m.events.length > 0 &&
    Number.isSafeInteger(m.fromSeq) &&
    Number.isSafeInteger(m.toSeq) &&
    typeof m.sealedAt === 'string' &&
    m.events.every((e) => e && typeof e === 'object' && isHash(e.hash) && isHash(e.prev));
  rec.expect(
    formatOk,
    'manifest-format',
    subject,
    `v4h-manifest v1, part ${index}, session ${sessionId}`,
    `not a v4h-manifest v1 of part ${index} of session ${sessionId} with events`,
  );

  for (const event of m.events) {
    const recomputed = await computeEventHash(event);
    if (recomputed !== event.hash || event.sessionId !== sessionId) {
      rec.fail(
        'event-hash',
        `${subject} event seq ${event.seq}`,
        event.sessionId !== sessionId ? `event belongs to session ${event.sessionId}` : `recomputed ${short(recomputed)} ≠ stated ${short(event.hash)}`,
      );
    }
  }
  rec.pass('event-hash', subject, `${m.events.length} event hashes recomputed`);

  const expectedFirstSeq = previous ? previous.manifest.toSeq + 1 : 1;
  let prevHash = previous ? previous.manifest.events[previous.manifest.events.length - 1].hash : GENESIS_HASH;
  let seq = expectedFirstSeq;
  for (const event of m.events) {
    if (event.seq !== seq) rec.fail('event-chain', `${subject}`, `expected event seq ${seq}, found ${event.seq} (an event is missing, added or moved)`);
    if (event.prev !== prevHash)
      rec.fail('event-chain', `${subject} event seq ${seq}`, `prev ${short(event.prev)} ≠ hash of the event before ${short(prevHash)}`);
    prevHash = event.hash;
    seq++;
  }
  if (m.fromSeq !== expectedFirstSeq || m.toSeq !== seq - 1) {
    rec.fail('event-chain', subject, `header says seq ${m.fromSeq}–${m.toSeq}, events are ${expectedFirstSeq}–${seq - 1}`);
  }
  rec.pass('event-chain', subject, `seq ${m.fromSeq}–${m.toSeq} contiguous, each event names the previous one's hash`);

  const expectedPrev = previous ? previous.hash : null;
  rec.expect(
    m.prev === expectedPrev,
    'manifest-link',
    subject,
    previous ? `links manifest ${index - 1} (${short(expectedPrev)})` : 'first manifest (prev null)',
    `prev ${short(m.prev)} ≠ ${previous ? `manifest ${index - 1}'s hash ${short(expectedPrev)}` : 'null'}`,
  );

  const manifestHash = await jcsHash(m);
  rec.expect(
    manifestHash === entry.hash,
    'manifest-hash',
    subject,
    `SHA-256 ${manifestHash}`,
    `recomputed ${short(manifestHash)} ≠ stated ${short(entry.hash)}`,
  );
  return manifestHash;
}
