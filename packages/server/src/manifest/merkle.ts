// RFC 6962 Merkle tree over manifest hashes, built with Node's SHA-256 (fast path for the anchor worker).
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
}

/**
 * Builds the tree of RFC 6962 §2.1 over the given leaves (each a 32-byte hash as hex). Levels are
 * kept so that every proof is a walk up: an odd node at the end of a level is promoted unchanged,
 * which yields exactly RFC 6962's split at the largest power of two below n.
 */
export function buildMerkleTree(leavesHex: string[]): MerkleTree {
  if (leavesHex.length === 0) throw new Error('a Merkle tree needs at least one leaf');
  const levels: Buffer[][] = [leavesHex.map(leafHash)];
  while (levels[levels.length - 1].length > 1) {
    const below = levels[levels.length - 1];
    const level: Buffer[] = [];
    for (let i = 0; i + 1 < below.length; i += 2) level.push(nodeHash(below[i], below[i + 1]));
    if (below.length % 2 === 1) level.push(below[below.length - 1]);
    levels.push(level);
  }
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
  };
}
