// The commitment test vector of docs/manifest.md (§1.1), read from the document and checked by the SDK's verifier.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeCommitment, verifyCommitment } from '@v4h/protocol/verify';

const doc = readFileSync(new URL('../../../docs/manifest.md', import.meta.url), 'utf8');
const vector = /Commitment \(§1\.1\): key `([0-9a-f]{64})`,\s*attribute `([^`]+)`, value `([^`]+)`;[^→]*→\s*commitment `([0-9a-f]{64})`/.exec(doc);

describe('commitments (docs/manifest.md §1.1)', () => {
  it('the documented vector holds', async () => {
    expect(vector).not.toBeNull();
    const [, key, attribute, value, commitment] = vector!;
    expect(await computeCommitment(key, attribute, value)).toBe(commitment);
    expect(await verifyCommitment({ key, attribute, value, commitment: commitment.toUpperCase() })).toBe(true);
  });

  it('another value, attribute or key does not open it', async () => {
    const [, key, attribute, value, commitment] = vector!;
    expect(await verifyCommitment({ key, attribute, value: `${value} `, commitment })).toBe(false);
    expect(await verifyCommitment({ key, attribute: 'email', value, commitment })).toBe(false);
    expect(await verifyCommitment({ key: 'ff'.repeat(32), attribute, value, commitment })).toBe(false);
  });
});
