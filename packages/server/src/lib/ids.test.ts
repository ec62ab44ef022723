// Ids: the formats other domains accept, unique across pool refills, and ordered by creation time.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { newId, newRoomName, newSessionId } from './ids.js';
import { ROOM_NAME_PATTERN } from '../room/routes.js';

describe('ids', () => {
  afterEach(() => vi.restoreAllMocks());

  it('match the patterns the routes accept and never repeat (many pool refills)', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const [session, room, id] = [newSessionId(), newRoomName(), newId()];
      expect(session).toMatch(/^[0-9a-v]{9}[A-Za-z0-9_-]{22}$/);
      expect(room).toMatch(new RegExp(ROOM_NAME_PATTERN));
      expect(room).toMatch(/^v4h-[0-9a-v]{35}$/);
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      for (const value of [session, room, id]) seen.add(value);
    }
    expect(seen.size).toBe(9000);
  });

  it('keep 128 random bits after the time: ids made in the same millisecond differ in their random part', () => {
    vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 0, 1));
    const [a, b] = [newSessionId(), newSessionId()];
    expect(a.slice(0, 9)).toBe(b.slice(0, 9));
    expect(a.slice(9)).not.toBe(b.slice(9));
  });

  it('sort by creation time, bytewise (so new rows go to the end of their indexes)', () => {
    const times = [Date.UTC(2026, 0, 1), Date.UTC(2026, 0, 1) + 1, Date.UTC(2026, 0, 1) + 31, Date.UTC(2026, 0, 1) + 32, Date.UTC(2071, 5, 1)];
    const made = times.map((t) => {
      vi.spyOn(Date, 'now').mockReturnValue(t);
      return { session: newSessionId(), room: newRoomName() };
    });
    for (let i = 1; i < made.length; i++) {
      expect(made[i - 1].session.slice(0, 9) < made[i].session.slice(0, 9)).toBe(true);
      expect(made[i - 1].room.slice(0, 13) < made[i].room.slice(0, 13)).toBe(true);
    }
  });
});
