// The test vectors of docs/manifest.md, recomputed by the shared verifier and by the server's builders.
import { describe, expect, it } from 'vitest';
import { computeEventHash, fromHex, jcsHash, rootFromInclusionProof, GENESIS_HASH, type ManifestEvent } from '@v4h/protocol/verify';
import { buildMerkleTree } from './merkle.js';
import { canonicalEvent, eventHash } from '../db/event-log.js';
import { sha256Hex } from '../lib/ids.js';
import { manifestText } from './text.js';

const H1 = 'e194bed63ac9645c00a92c091c87c663d5b7b5ac3b09867ec1486b0324bf2853';
const H2 = '56293a7655b2100f02d2cb2b79a7c17256f1743f329c12cc83d9f51a7498d19e';
const MH = 'cbdbd3e02601ae0f15b797b7438c49e8f6c3ecfe74a9fc374b63e22e87ee8a0e';
const A = 'ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb';
const B = '3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d';
const PATH = ['a23bd5b06da9048238a65b3f1d9d0b9e15fae3dde262688e6489aa4c763d1820', 'a0d9f0a50b35b9f7d7edc57fb64f4771ddef0fefeaca4e6f949a1514db5b136d'];
const ROOT = 'f4f7db6adf34bd1824b9a355ebcb37027e5ef85a81739c23cb703db109d91dd8';

describe('docs/manifest.md test vectors', () => {
  it('event and manifest hashes', async () => {
    const e1 = {
      v: 1,
      sessionId: 'example-session',
      seq: 1,
      type: 'requested',
      actor: 'user:alice',
      at: '2026-01-01T09:00:00.000Z',
      data: {},
      prev: GENESIS_HASH,
      hash: H1,
    };
    const e2 = {
      v: 1,
      sessionId: 'example-session',
      seq: 2,
      type: 'ended',
      actor: 'system',
      at: '2026-01-01T09:30:00.000Z',
      data: { reason: 'owner' },
      prev: H1,
      hash: H2,
    };
    expect(await computeEventHash(e1)).toBe(H1);
    expect(await computeEventHash(e2 as ManifestEvent)).toBe(H2);
    // The server's event log computes the same hash from its stored row.
    const row = {
      session_id: 'example-session',
      seq: 2,
      type: 'ended',
      actor: 'system',
      at: Date.UTC(2026, 0, 1, 9, 30),
      data: '{"reason":"owner"}',
      prev_hash: H1,
    };
    expect(eventHash(canonicalEvent(row))).toBe(H2);
    const manifest = {
      v: 1,
      kind: 'v4h-manifest',
      sessionId: 'example-session',
      part: 0,
      prev: null,
      fromSeq: 1,
      toSeq: 2,
      sealedAt: '2026-01-01T09:35:00.000Z',
      events: [e1, e2],
    };
    expect(await jcsHash(manifest)).toBe(MH);
    // The sealer's text writer gives the same manifest hash from the stored rows.
    const rows = [
      { seq: 1, type: 'requested', actor: 'user:alice', at: Date.UTC(2026, 0, 1, 9), data: '{}', prev_hash: GENESIS_HASH, hash: H1 },
      { seq: 2, type: 'ended', actor: 'system', at: Date.UTC(2026, 0, 1, 9, 30), data: '{"reason":"owner"}', prev_hash: H1, hash: H2 },
    ];
    expect(sha256Hex(manifestText({ sessionId: 'example-session', part: 0, prev: null, sealedAt: Date.UTC(2026, 0, 1, 9, 35), events: rows }))).toBe(MH);
  });

  it('Merkle root and audit path', async () => {
    const tree = buildMerkleTree([MH, A, B]);
    expect(tree.root).toBe(ROOT);
    expect(tree.proof(0)).toEqual(PATH);
    expect(await rootFromInclusionProof(fromHex(MH), 0, 3, PATH)).toBe(ROOT);
  });
});
