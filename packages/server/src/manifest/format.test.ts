// The sealer's direct manifest text is byte for byte the JCS of the manifest object.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalize } from '../lib/verify/jcs.js';
import { canonicalEvent, eventHash, GENESIS_HASH } from '../conferences/event-log.js';
import type { ConferenceEventsTable } from '../db/schema.js';
import { buildManifest, manifestText } from './format.js';

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)));
const dataObject = fc.dictionary(fc.string(), jsonValue, { maxKeys: 5 });

describe('manifestText', () => {
  it('equals canonicalize(buildManifest(…)) for arbitrary events', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.array(fc.record({ type: fc.string(), actor: fc.string(), at: fc.integer({ min: 0, max: 4e12 }), data: dataObject }), { minLength: 1, maxLength: 6 }),
        fc.option(fc.constant('ab'.repeat(32)), { nil: null }),
        fc.nat(5),
        (sessionId, specs, prev, firstSeqOffset) => {
          let prevHash = GENESIS_HASH;
          const events: ConferenceEventsTable[] = specs.map((spec, i) => {
            const row = { session_id: sessionId, seq: firstSeqOffset + i + 1, type: spec.type, actor: spec.actor, at: spec.at, data: canonicalize(spec.data), prev_hash: prevHash };
            prevHash = eventHash(canonicalEvent(row));
            return { ...row, hash: prevHash };
          });
          const input = { sessionId, part: firstSeqOffset, prev, sealedAt: 1_767_258_000_123, events };
          expect(manifestText(input)).toBe(canonicalize(buildManifest(input)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
