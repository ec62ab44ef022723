// The append path writes an event's canonical text directly: it must be the JCS of the event, byte for byte.
import { describe, expect, it } from 'vitest';
import { canonicalize } from '@v4h/protocol/verify';
import { canonicalEvent, canonicalEventText, GENESIS_HASH } from './event-log.js';

const row = (over: Partial<Parameters<typeof canonicalEventText>[0]>) => ({
  session_id: '0jb3m2f8kQ1w2e3r4t5y6u7i8o9p0a1s2d',
  seq: 1,
  type: 'requested',
  actor: 'user:ana',
  at: Date.UTC(2026, 0, 1, 9, 0, 0, 123),
  data: '{}',
  prev_hash: GENESIS_HASH,
  ...over,
});

describe('canonicalEventText', () => {
  it('is canonicalize(canonicalEvent(row)) for every kind of member value', () => {
    const rows = [
      row({}),
      row({ seq: 123456, type: 'ended', actor: 'system', data: canonicalize({ reason: 'owner' }), prev_hash: 'ab'.repeat(32) }),
      row({
        type: 'guest_link_issued',
        actor: 'guest:Zoë "the" \\ patient\n\t\u0001',
        data: canonicalize({ name: 'Zoë 😀 \u2028', z: [1, 2.5, -0, 1e21, null, true], a: { y: 'x', b: {} }, expiresAt: '2026-01-01T11:00:00.000Z' }),
      }),
      row({ at: 0, actor: 'user:\u00e9\u0301\uffff', session_id: 'c0', type: 'file_stored', data: canonicalize({ size: 4294967296, sha256: 'f'.repeat(64) }) }),
    ];
    for (const r of rows) expect(canonicalEventText(r)).toBe(canonicalize(canonicalEvent(r)));
  });

  it('refuses what JCS refuses (a lone surrogate), as canonicalize does', () => {
    const r = row({ actor: 'guest:\ud800' });
    expect(() => canonicalize(canonicalEvent(r))).toThrow(/lone surrogate/);
    expect(() => canonicalEventText(r)).toThrow(/lone surrogate/);
  });
});
