// The server's Merkle builder against RFC 6962's recursive definition and the shared RFC 9162 proof check.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildMerkleTree } from './merkle.js';
import { fromHex, rootFromInclusionProof } from '../lib/verify/index.js';

const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();

/** MTH(D[n]) exactly as RFC 6962 §2.1 writes it. */
function referenceRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return sha(Buffer.from([0]), leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha(Buffer.from([1]), referenceRoot(leaves.slice(0, k)), referenceRoot(leaves.slice(k)));
}

const leaves = (n: number) => Array.from({ length: n }, (_, i) => sha(Buffer.from(`m${i}`)).toString('hex'));

describe('buildMerkleTree', () => {
  it('matches RFC 6962 MTH and every proof verifies, for sizes 1 to 33', async () => {
    for (let n = 1; n <= 33; n++) {
      const hashes = leaves(n);
      const tree = buildMerkleTree(hashes);
      expect(tree.root).toBe(referenceRoot(hashes.map((h) => Buffer.from(h, 'hex'))).toString('hex'));
      for (let i = 0; i < n; i++) {
        expect(await rootFromInclusionProof(fromHex(hashes[i]), i, n, tree.proof(i))).toBe(tree.root);
      }
    }
  });

  it('a proof fails for another leaf, another index, a swapped step or a truncated path', async () => {
    const hashes = leaves(11);
    const tree = buildMerkleTree(hashes);
    const path = tree.proof(5);
    expect(await rootFromInclusionProof(fromHex(hashes[4]), 5, 11, path)).not.toBe(tree.root);
    expect(await rootFromInclusionProof(fromHex(hashes[5]), 4, 11, path)).not.toBe(tree.root);
    expect(await rootFromInclusionProof(fromHex(hashes[5]), 5, 11, [path[1], path[0], ...path.slice(2)])).not.toBe(tree.root);
    expect(await rootFromInclusionProof(fromHex(hashes[5]), 5, 11, path.slice(0, -1))).toBeNull();
    expect(await rootFromInclusionProof(fromHex(hashes[5]), 11, 11, path)).toBeNull();
  });

  it('a single manifest is its own tree: empty path, root = leaf hash', async () => {
    const [h] = leaves(1);
    const tree = buildMerkleTree([h]);
    expect(tree.proof(0)).toEqual([]);
    expect(tree.root).toBe(sha(Buffer.from([0]), Buffer.from(h, 'hex')).toString('hex'));
  });
});
