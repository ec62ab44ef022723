// The server's Merkle builder against RFC 6962's recursive definition and the shared RFC 9162 proof check.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildMerkleTree, proofFromTiles, tilesOfProof, type MerkleTile } from './merkle.js';
import { fromHex, rootFromInclusionProof } from '@v4h/protocol/verify';

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

  it('audit paths read back from the stored tiles equal the tree paths, for every leaf of trees up to 3 tile levels high', () => {
    const sizes = [...Array.from({ length: 70 }, (_, i) => i + 1), 1023, 1024, 1025, 1100, 32_768, 33_001];
    for (const n of sizes) {
      const tree = buildMerkleTree(leaves(n));
      const tiles = tree.tiles();
      const byKey = new Map(tiles.map((t) => [`${t.level}/${t.index}`, t.nodes]));
      const read = (level: number, index: number) => byKey.get(`${level}/${index}`);
      const indices = n <= 1100 ? Array.from({ length: n }, (_, i) => i) : [0, 1, 31, 32, 1023, 1024, n - 33, n - 2, n - 1];
      for (const i of indices) {
        expect(proofFromTiles(i, n, read)).toEqual(tree.proof(i));
        // Exactly the tiles it names are read, each one stored.
        for (const w of tilesOfProof(i, n)) expect(read(w.level, w.index)).toBeDefined();
      }
      // About 32 bytes per leaf in all.
      expect(tiles.reduce((sum, t) => sum + t.nodes.length, 0)).toBeLessThanOrEqual(32 * (n + Math.ceil(n / 32) + Math.ceil(n / 1024) + 3));
    }
  });

  it('a missing, cut or altered tile gives no path or a path that fails', async () => {
    const hashes = leaves(100);
    const tree = buildMerkleTree(hashes);
    const tiles = new Map(tree.tiles().map((t: MerkleTile) => [`${t.level}/${t.index}`, t.nodes]));
    const reading = (change: (key: string, nodes: Buffer) => Buffer | undefined) => (level: number, index: number) => {
      const key = `${level}/${index}`;
      return change(key, tiles.get(key)!);
    };
    expect(
      proofFromTiles(
        40,
        100,
        reading((key, nodes) => (key === '5/0' ? undefined : nodes)),
      ),
    ).toBeNull();
    expect(
      proofFromTiles(
        40,
        100,
        reading((key, nodes) => (key === '0/1' ? nodes.subarray(0, nodes.length - 1) : nodes)),
      ),
    ).toBeNull();
    expect(
      proofFromTiles(
        100,
        100,
        reading((_, nodes) => nodes),
      ),
    ).toBeNull();
    const altered = proofFromTiles(
      40,
      100,
      reading((key, nodes) => (key === '0/1' ? Buffer.from(nodes).fill(7, 0, 32) : nodes)),
    )!;
    expect(altered).not.toEqual(tree.proof(40));
    expect(await rootFromInclusionProof(fromHex(hashes[40]), 40, 100, altered)).not.toBe(tree.root);
  });
});
