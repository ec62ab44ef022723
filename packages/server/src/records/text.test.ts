// The manifest text (text.ts, the server's one definition of it) is byte for byte the JCS of the manifest object that
// docs/manifest.md describes and the verifier checks, and its hash is SHA-256 of its UTF-8.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalize, type Manifest } from '@v4h/protocol/verify';
import { sha256Hex } from '../lib/ids.js';
import { canonicalEvent, eventHash, GENESIS_HASH } from '../db/event-log.js';
import type { ConferenceEventsTable } from '../db/schema.js';
import { MANIFEST_FORMAT_VERSION, manifestText, storedManifestText } from './text.js';

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)));
const dataObject = fc.dictionary(fc.string(), jsonValue, { maxKeys: 5 });
// Any code point (controls, quotes, backslashes, U+2028, astral), as a string the database hands back: valid UTF-16.
const anyText = fc.string({ unit: 'binary' });
const anyData = fc.dictionary(anyText, fc.oneof(anyText, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constant(null)), { maxKeys: 4 });
// The whole Date range, around minute and second boundaries too.
const anyTime = fc.oneof(
  fc.integer({ min: -8.64e15, max: 8.64e15 }),
  fc.integer({ min: -3, max: 3 }).map((d) => 1_767_225_600_000 + d),
  fc.integer({ min: 0, max: 4e12 }),
);

function rows(sessionId: string, specs: { type: string; actor: string; at: number; data: object }[], firstSeq: number): ConferenceEventsTable[] {
  let prevHash = GENESIS_HASH;
  return specs.map((spec, i) => {
    const row = {
      session_id: sessionId,
      seq: firstSeq + i,
      type: spec.type,
      actor: spec.actor,
      at: spec.at,
      data: canonicalize(spec.data),
      prev_hash: prevHash,
    };
    prevHash = eventHash(canonicalEvent(row));
    return { ...row, hash: prevHash };
  });
}

/** The manifest as an object, field by field from docs/manifest.md: an independent statement of what manifestText writes. */
function buildManifest(input: { sessionId: string; part: number; prev: string | null; sealedAt: number; events: ConferenceEventsTable[] }): Manifest {
  const events = input.events.map((row) => ({ ...canonicalEvent(row), hash: row.hash }));
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

describe('manifestText', () => {
  it('equals canonicalize(buildManifest(…)) for arbitrary events', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.array(fc.record({ type: fc.string(), actor: fc.string(), at: fc.integer({ min: 0, max: 4e12 }), data: dataObject }), { minLength: 1, maxLength: 6 }),
        fc.option(fc.constant('ab'.repeat(32)), { nil: null }),
        fc.nat(5),
        (sessionId, specs, prev, firstSeqOffset) => {
          const input = { sessionId, part: firstSeqOffset, prev, sealedAt: 1_767_258_000_123, events: rows(sessionId, specs, firstSeqOffset + 1) };
          expect(manifestText(input)).toBe(canonicalize(buildManifest(input)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('also for any Unicode text, escapes and times across the whole Date range; the hash is SHA-256 of the UTF-8 bytes', () => {
    fc.assert(
      fc.property(
        anyText.filter((s) => s.length > 0),
        fc.array(fc.record({ type: anyText, actor: anyText, at: anyTime, data: anyData }), { minLength: 1, maxLength: 5 }),
        anyTime,
        (sessionId, specs, sealedAt) => {
          const input = { sessionId, part: 2, prev: 'cd'.repeat(32), sealedAt, events: rows(sessionId, specs, 7) };
          const text = manifestText(input);
          expect(text).toBe(canonicalize(buildManifest(input)));
          expect(sha256Hex(text)).toBe(sha256Hex(Buffer.from(text, 'utf8'))); // the sealer hashes the text as UTF-8
        },
      ),
      { numRuns: 500 },
    );
    const escapes = {
      type: 'a"b\\c\u0000\u001f\u007f\u2028',
      actor: 'guest:Émile 👩‍⚕️\n\t',
      at: 1_767_225_659_999,
      data: { 'k"\\': 'v\u0001\u00e9\ud83d\ude00' },
    };
    const input = {
      sessionId: 's\u0007"',
      part: 0,
      prev: null,
      sealedAt: 1_767_225_660_000,
      events: rows('s\u0007"', [escapes, { ...escapes, at: 1_767_225_660_001 }], 1),
    };
    expect(manifestText(input)).toBe(canonicalize(buildManifest(input)));
    expect(manifestText(input)).toContain('"at":"2026-01-01T00:00:59.999Z"');
    expect(manifestText(input)).toContain('"at":"2026-01-01T00:01:00.001Z"');
  });

  it('a time outside the Date range fails as toISOString does', () => {
    const [row] = rows('s', [{ type: 't', actor: 'a', at: 0, data: {} }], 1);
    expect(() => manifestText({ sessionId: 's', part: 0, prev: null, sealedAt: 0, events: [{ ...row, at: 8.64e15 + 1 }] })).toThrow(RangeError);
  });

  it('a stored manifest is rebuilt from its row and events to the text that was sealed', () => {
    const events = rows(
      'sess',
      [
        { type: 'requested', actor: 'user:a', at: 5, data: {} },
        { type: 'ended', actor: 'system', at: 70_000, data: { reason: 'owner' } },
      ],
      3,
    );
    const input = { sessionId: 'sess', part: 1, prev: 'ef'.repeat(32), sealedAt: 99_000, events };
    const row = { session_id: 'sess', part: 1, prev_hash: 'ef'.repeat(32), from_seq: 3, to_seq: 4, sealed_at: 99_000 };
    expect(storedManifestText(row, events)).toBe(manifestText(input));
    expect(storedManifestText(row, [events[0]])).not.toBe(manifestText(input));
    expect(storedManifestText(row, [])).toContain('"events":[],"fromSeq":3');
  });
});
