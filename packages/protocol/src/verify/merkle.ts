// RFC 6962 Merkle hashing (leaf 0x00, node 0x01) and the RFC 9162 §2.1.3.2 inclusion-proof check.
import { concatBytes, fromHex, toHex } from './bytes.js';
import { sha256 } from './digest.js';

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export const leafHash = (data: Uint8Array) => sha256(concatBytes(LEAF, data));
export const nodeHash = (left: Uint8Array, right: Uint8Array) => sha256(concatBytes(NODE, left, right));

/**
 * The root implied by a leaf's audit path (hex hashes, leaf to root), or null when the path's
 * length does not fit the index and tree size.
 */
export async function rootFromInclusionProof(leaf: Uint8Array, leafIndex: number, treeSize: number, path: string[]): Promise<string | null> {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize) || leafIndex < 0 || leafIndex >= treeSize) return null;
  let fn = leafIndex;
  let sn = treeSize - 1;
  let r = await leafHash(leaf);
  for (const step of path) {
    if (sn === 0) return null;
    const p = fromHex(step);
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) {
        // Right-most node of a level with no right sibling: climb until it is a right child.
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? toHex(r) : null;
}
