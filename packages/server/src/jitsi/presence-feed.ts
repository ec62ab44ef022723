// Jitsi's own account of a room (JaaS webhooks, Prosody event_sync) into the conference's event log: each delivery
// once (retries and duplicates change nothing), ids only (Jitsi sends names and e-mails; they stay out).
import { createHash } from 'node:crypto';
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import { appendEvent, lockConference } from '../db/event-log.js';

/** What Jitsi reported, reduced to what the record keeps. */
export interface JitsiReport {
  /** The Jitsi room name as Jitsi spells it (`<appId>/<room>`, `[tenant]room`, `room@conference.host` are reduced). */
  room: string;
  type: 'jitsi_room_created' | 'jitsi_room_destroyed' | 'jitsi_participant_joined' | 'jitsi_participant_left' | 'jitsi_recording_uploaded';
  source: 'jaas' | 'prosody';
  jitsiParticipantId?: string;
  jitsiSessionId?: string;
  /** Unique per delivery, the same on its retries. */
  receiptKey: string;
  /** Also remembered (a signature accepted once). */
  extraReceiptKey?: string;
}

export type FeedOutcome = 'recorded' | 'duplicate' | 'unknown_room' | 'replayed';

/** Our room name in what Jitsi reports: the part after an app id or tenant, before a MUC domain, lowercased. */
export function roomNameOf(reported: string): string {
  return reported
    .split('@')[0]
    .replace(/^.*\//, '')
    .replace(/^\[[^\]]*\]/, '')
    .toLowerCase();
}

export const bodyHash = (text: string) => createHash('sha256').update(text).digest('hex');

export class JitsiPresenceFeed {
  readonly #db: Db;
  readonly #clock: Clock;

  constructor(deps: { db: Db; clock: Clock }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
  }

  /** Appends the report to its conference's log, once; a receipt key seen before changes nothing. */
  async record(report: JitsiReport): Promise<{ outcome: FeedOutcome; sessionId?: string }> {
    const now = this.#clock.now();
    const conference = await this.#db.kysely.selectFrom('conferences').select('session_id').where('room_name', '=', roomNameOf(report.room)).executeTakeFirst();
    try {
      return await this.#write(report, conference?.session_id, now);
    } catch (error) {
      // Two deliveries of the same post raced (PostgreSQL): the loser's receipt insert failed; the winner recorded it.
      const seen = await this.#db.kysely
        .selectFrom('jitsi_receipts')
        .select('key')
        .where('key', 'in', [report.receiptKey, report.extraReceiptKey ?? report.receiptKey])
        .executeTakeFirst();
      if (seen) return { outcome: 'duplicate' };
      throw error;
    }
  }

  #write(report: JitsiReport, sessionId: string | undefined, now: number): Promise<{ outcome: FeedOutcome; sessionId?: string }> {
    return this.#db.write(async (trx) => {
      if (report.extraReceiptKey) {
        const seen = await trx.selectFrom('jitsi_receipts').select('key').where('key', '=', report.extraReceiptKey).executeTakeFirst();
        if (seen) return { outcome: 'replayed' as const };
        await trx.insertInto('jitsi_receipts').values({ key: report.extraReceiptKey, received_at: now }).execute();
      }
      if (!sessionId) return { outcome: 'unknown_room' as const };
      const row = await lockConference(trx, sessionId, this.#db.dialect);
      if (!row) return { outcome: 'unknown_room' as const };
      const seen = await trx.selectFrom('jitsi_receipts').select('key').where('key', '=', report.receiptKey).executeTakeFirst();
      if (seen) return { outcome: 'duplicate' as const, sessionId };
      await trx.insertInto('jitsi_receipts').values({ key: report.receiptKey, received_at: now }).execute();
      const data: Record<string, string> = { source: report.source };
      if (report.jitsiParticipantId) data.jitsiParticipantId = report.jitsiParticipantId;
      if (report.jitsiSessionId) data.jitsiSessionId = report.jitsiSessionId;
      // Jitsi saw activity: the idle timeout counts from here too.
      if (row.state !== 'ended') await trx.updateTable('conferences').set({ last_activity_at: now }).where('session_id', '=', sessionId).execute();
      await appendEvent(trx, { sessionId, type: report.type, actor: 'jitsi', at: now, data });
      return { outcome: 'recorded' as const, sessionId };
    });
  }
}
