// Test fixture: a genuine one-manifest record on the local ledger, built from docs/manifest.md with node:crypto.
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { canonicalize, GENESIS_HASH, type ManifestBundle } from '@v4h/protocol/verify';

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
export const keys = generateKeyPairSync('ed25519');
export const publicKey = (keys.publicKey.export({ format: 'jwk' }) as { x: string }).x;

/** A one-manifest, one-leaf record on the local ledger, built from the format in docs/manifest.md. */
export function buildBundle(): ManifestBundle {
  const sessionId = 'sdk-test';
  const events = [];
  let prev = GENESIS_HASH;
  for (const [seq, type] of [
    [1, 'requested'],
    [2, 'started'],
    [3, 'ended'],
  ] as const) {
    const body = { v: 1, sessionId, seq, type, actor: 'user:ana', at: `2026-01-01T09:0${seq}:00.000Z`, data: {}, prev };
    prev = sha(canonicalize(body));
    events.push({ ...body, hash: prev });
  }
  const manifest = {
    v: 1 as const,
    kind: 'v4h-manifest' as const,
    sessionId,
    part: 0,
    prev: null,
    fromSeq: 1,
    toSeq: 3,
    sealedAt: '2026-01-01T09:10:00.000Z',
    events,
  };
  const hash = sha(canonicalize(manifest));
  const root = sha(Buffer.concat([Buffer.from([0]), Buffer.from(hash, 'hex')]));
  const entry = { v: 1 as const, kind: 'v4h-ledger-entry' as const, seq: 1, prev: GENESIS_HASH, root, size: 1, at: '2026-01-01T09:11:00.000Z' };
  const signature = sign(null, Buffer.from(canonicalize(entry)), keys.privateKey).toString('base64url');
  return {
    kind: 'v4h-manifest-bundle',
    v: 1,
    sessionId,
    hash,
    unsealedEvents: 0,
    manifests: [
      {
        hash,
        manifest,
        proof: { leafIndex: 0, treeSize: 1, path: [], root },
        anchor: { status: 'anchored', ledger: 'v4h-local', anchoredAt: entry.at, entry, entryHash: sha(canonicalize(entry)), signature },
      },
    ],
  };
}
