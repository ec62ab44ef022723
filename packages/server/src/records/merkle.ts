// RFC 6962 Merkle tree over manifest hashes, built with Node's SHA-256 (fast path for the anchor worker), and stored as tiles.
import { hash } from 'node:crypto';

// One-shot hashes of a reused input buffer (the hash is taken before the buffer is written again).
const leafInput = Buffer.alloc(33); // 0x00 ‖ data
const nodeInput = Buffer.alloc(65); // 0x01 ‖ left ‖ right
nodeInput[0] = 1;

function leafHash(hex: string): Buffer {
  if (leafInput.write(hex, 1, 'hex') !== 32 || hex.length !== 64) throw new Error(`a Merkle leaf is a 32-byte hash in hex, not ${JSON.stringify(hex)}`);
  return hash('sha256', leafInput, 'buffer');
}

function nodeHash(l: Buffer, r: Buffer): Buffer {
  l.copy(nodeInput, 1);
  r.copy(nodeInput, 33);
  return hash('sha256', nodeInput, 'buffer');
}

export interface MerkleTree {
  root: string;
  size: number;
  /** Audit path of leaf i (hex, leaf to root). */
  proof(index: number): string[];
  /** The tree as stored: its tiles (see below), from which every audit path can be read back. */
  tiles(): MerkleTile[];
}

/**
 * Builds the tree of RFC 6962 §2.1 over the given leaves (each a 32-byte hash as hex). Levels are
 * kept so that every proof is a walk up: an odd node at the end of a level is promoted unchanged,
 * which yields exactly RFC 6962's split at the largest power of two below n.
 */
export function buildMerkleTree(leavesHex: string[]): MerkleTree {
  if (leavesHex.length === 0) throw new Error('a Merkle tree needs at least one leaf');
  const levels: Buffer[][] = [leavesHex.map(leafHash)];
  while (levels[levels.length - 1].length > 1) levels.push(levelAbove(levels[levels.length - 1]));
  // Hex of each node, made once on first use (every proof of a batch shares the upper levels).
  const hex: (string | undefined)[][] = levels.map((level) => new Array<string | undefined>(level.length));
  const nodeHex = (depth: number, i: number) => (hex[depth][i] ??= levels[depth][i].toString('hex'));
  return {
    root: levels[levels.length - 1][0].toString('hex'),
    size: leavesHex.length,
    proof(index: number) {
      if (!Number.isInteger(index) || index < 0 || index >= leavesHex.length) throw new RangeError(`no leaf ${index}`);
      const path: string[] = [];
      let i = index;
      for (let depth = 0; depth < levels.length - 1; depth++) {
        const sibling = i % 2 === 1 ? i - 1 : i + 1;
        // A promoted node (no sibling at this level) adds no step.
        if (sibling < levels[depth].length) path.push(nodeHex(depth, sibling));
        i = Math.floor(i / 2);
      }
      return path;
    },
    tiles() {
      const tiles: MerkleTile[] = [];
      for (let level = 0; level < levels.length - 1; level += TILE_HEIGHT) {
        const nodes = levels[level];
        for (let i = 0; i < nodes.length; i += TILE_WIDTH) tiles.push({ level, index: i / TILE_WIDTH, nodes: Buffer.concat(nodes.slice(i, i + TILE_WIDTH)) });
      }
      return tiles;
    },
  };
}

/** The level above `below`: pairs hashed, an odd last node promoted unchanged. */
function levelAbove(below: Buffer[]): Buffer[] {
  const level: Buffer[] = [];
  for (let i = 0; i + 1 < below.length; i += 2) level.push(nodeHash(below[i], below[i + 1]));
  if (below.length % 2 === 1) level.push(below[below.length - 1]);
  return level;
}

// Tiles, as in tiled transparency logs: a batch stores the nodes of every TILE_HEIGHT-th level (0, 5, 10, …), cut into
// tiles of TILE_WIDTH consecutive nodes — about 32 bytes per manifest in all, instead of a whole audit path each. The
// path of a leaf crosses one tile per stored level; the levels in between are rehashed from that tile.
export const TILE_HEIGHT = 5;
const TILE_WIDTH = 2 ** TILE_HEIGHT;
const NODE_BYTES = 32;

export interface MerkleTile {
  /** The tree level of its nodes (0: leaf hashes). */
  level: number;
  /** Its nodes are those of index index × TILE_WIDTH on at that level. */
  index: number;
  /** The nodes' hashes, 32 bytes each. */
  nodes: Buffer;
}

/** Node counts of the levels of an RFC 6962 tree of `size` leaves, leaves first, root last. */
function levelSizes(size: number): number[] {
  const sizes = [size];
  while (sizes[sizes.length - 1] > 1) sizes.push(Math.ceil(sizes[sizes.length - 1] / 2));
  return sizes;
}

/** The tiles the audit path of leaf `leafIndex` in a tree of `treeSize` leaves is read from. */
export function tilesOfProof(leafIndex: number, treeSize: number): { level: number; index: number }[] {
  const levels = levelSizes(treeSize).length;
  const tiles = [];
  for (let level = 0; level < levels - 1; level += TILE_HEIGHT) tiles.push({ level, index: Math.floor(leafIndex / 2 ** (level + TILE_HEIGHT)) });
  return tiles;
}

/** The audit path of leaf `leafIndex` (hex, leaf to root) read from its tiles; null when one is missing or malformed. */
export function proofFromTiles(leafIndex: number, treeSize: number, tile: (level: number, index: number) => Buffer | undefined): string[] | null {
  if (!Number.isInteger(leafIndex) || leafIndex < 0 || leafIndex >= treeSize) return null;
  const sizes = levelSizes(treeSize);
  const path: string[] = [];
  for (const { level, index } of tilesOfProof(leafIndex, treeSize)) {
    const first = index * TILE_WIDTH; // at `level`
    const count = Math.min(TILE_WIDTH, sizes[level] - first);
    const bytes = tile(level, index);
    if (!bytes || bytes.length !== count * NODE_BYTES) return null;
    let nodes = Array.from({ length: count }, (_, i) => bytes.subarray(i * NODE_BYTES, (i + 1) * NODE_BYTES));
    // Within the tile, the same pairing as the whole tree's: it starts at an even node and holds the level's end if any.
    const top = Math.min(level + TILE_HEIGHT, sizes.length - 1);
    for (let depth = level; depth < top; depth++) {
      const sibling = Math.floor(leafIndex / 2 ** depth) ^ 1;
      // A promoted node (no sibling at this level) adds no step.
      if (sibling < sizes[depth]) path.push(nodes[sibling - first / 2 ** (depth - level)].toString('hex'));
      if (depth + 1 < top) nodes = levelAbove(nodes);
    }
  }
  return path;
}
