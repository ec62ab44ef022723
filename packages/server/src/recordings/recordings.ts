// The recording's life cycle (issue 21): start (only with everyone present consenting, V4H_RECORDING_CONSENT), stop,
// and what everyone in the call may know about it (whether it records, who has consented, the request to answer).
import type { Transaction } from 'kysely';
import type { Recording, RecordingStatus } from '@v4h/protocol';
import type { Db } from '../db/database.js';
import type { ConferencesTable, Database, RecordingsTable } from '../db/schema.js';
import { iso, type Clock } from '../lib/clock.js';
import { AppError, notFound } from '../errors.js';
import { appendEvent, lockConference } from '../db/event-log.js';
import { accessOf, userPrincipal, type AccessPolicy } from '../conferences/access-policy.js';
import { callSubjects, consentStates, withoutConsent } from './call-subjects.js';
import { consentMissing, type ConsentPrincipal, type ConsentService } from './consents.js';
import { checkRecordingType, newRecordingRow, type ChunkedUploads } from './chunked-uploads.js';
import { stopLiveRecordings } from '../conferences/live-recordings.js';

const DEFAULT_MIME_TYPE = 'video/webm';

export interface RecordingServiceDeps {
  db: Db;
  clock: Clock;
  access: AccessPolicy;
  consents: ConsentService;
  uploads: ChunkedUploads;
}

export class RecordingService {
  readonly #deps: RecordingServiceDeps;

  constructor(deps: RecordingServiceDeps) {
    this.#deps = deps;
  }

  /** Whether the call is being recorded and where everyone present stands (owner, participants, guests). */
  async status(who: ConsentPrincipal, sessionId: string): Promise<RecordingStatus> {
    const { db, access, consents } = this.#deps;
    const conference = await this.#conference(sessionId);
    await access.require(who, accessOf(conference), { do: 'consent' });
    const executor = db.kysely;
    const [live, subjects, states, requestId] = await Promise.all([
      conference.state === 'ended' ? undefined : this.#live(sessionId),
      callSubjects(executor, sessionId, { presentOnly: true }),
      consentStates(executor, sessionId),
      consents.latestRequestId(executor, sessionId),
    ]);
    const ownerSubject = `user:${conference.owner_id}`;
    return {
      state: live ? 'recording' : 'idle',
      recordingId: live?.recording_id ?? null,
      startedAt: live ? iso(Number(live.created_at)) : null,
      consent: consents.mode,
      requestId,
      participants: subjects.map(({ participantId, subject }) => ({
        participantId,
        subject,
        owner: subject === ownerSubject,
        consent: states.get(subject) ?? 'none',
      })),
      missing: consents.mode === 'off' ? [] : withoutConsent(subjects, states, conference.owner_id),
    };
  }

  /**
   * The owner starts recording: 409 consent_missing (naming who) unless everyone in the call has consented, 409
   * conflict when a recording is already live. Appends `recording_started { recordingId }`; its chunks go to
   * PUT …/recordings/:recordingId/chunks/:index.
   */
  async start(user: { id: string }, sessionId: string, mimeType = DEFAULT_MIME_TYPE): Promise<Recording> {
    checkRecordingType(mimeType);
    const now = this.#deps.clock.now();
    const row = await this.#write(sessionId, async (trx, conference) => {
      this.#deps.access.check(userPrincipal(user), { ownerId: conference.owner_id }, { do: 'manage' });
      if (conference.state === 'ended') throw new AppError('conference_ended', 'the conference has ended');
      const live = await trx
        .selectFrom('recordings')
        .select('recording_id')
        .where('session_id', '=', sessionId)
        .where('live', '=', 'recording')
        .executeTakeFirst();
      if (live) throw new AppError('conflict', `the call is already being recorded (recording ${live.recording_id})`);
      const missing = await this.#deps.consents.missing(trx, sessionId, conference.owner_id, { presentOnly: true });
      if (missing.length > 0) throw consentMissing(missing, 'the recording cannot start');
      const recording = newRecordingRow(sessionId, user.id, mimeType, 'recording', now);
      await trx.insertInto('recordings').values(recording).execute();
      await appendEvent(trx, { sessionId, type: 'recording_started', actor: `user:${user.id}`, at: now, data: { recordingId: recording.recording_id } });
      return recording;
    });
    return this.#deps.uploads.present(row);
  }

  /** The owner stops the live recording (`recording_stopped` with the reason); with none live, the latest one as it is. */
  async stop(user: { id: string }, sessionId: string, reason: 'owner' | 'recorder_unavailable' = 'owner'): Promise<Recording> {
    const now = this.#deps.clock.now();
    const recordingId = await this.#write(sessionId, async (trx, conference) => {
      this.#deps.access.check(userPrincipal(user), { ownerId: conference.owner_id }, { do: 'manage' });
      return stopLiveRecordings(trx, sessionId, now, { actor: `user:${user.id}`, reason });
    });
    const row = recordingId
      ? await this.#deps.uploads.get(user, sessionId, recordingId)
      : await this.#deps.db.kysely
          .selectFrom('recordings')
          .selectAll()
          .where('session_id', '=', sessionId)
          .where('live', 'is not', null)
          .orderBy('created_at', 'desc')
          .executeTakeFirst();
    if (!row) throw notFound('recording');
    return this.#deps.uploads.present(row);
  }

  /**
   * A recording uploaded in chunks without a live session (POST …/recordings): the same consent as a one-shot upload
   * of a recording (everyone who joined), asked now and again when it is completed.
   */
  async create(user: { id: string }, sessionId: string, mimeType: string): Promise<Recording> {
    checkRecordingType(mimeType);
    const conference = await this.#conference(sessionId);
    await this.#deps.access.require(userPrincipal(user), accessOf(conference), { do: 'upload', kind: 'recording' });
    await this.#deps.consents.requireForStorage(sessionId);
    const row = newRecordingRow(sessionId, user.id, mimeType, null, this.#deps.clock.now());
    await this.#deps.db.write(async (trx) => {
      await trx.insertInto('recordings').values(row).execute();
    });
    return this.#deps.uploads.present(row);
  }

  #live(sessionId: string): Promise<RecordingsTable | undefined> {
    return this.#deps.db.kysely.selectFrom('recordings').selectAll().where('session_id', '=', sessionId).where('live', '=', 'recording').executeTakeFirst();
  }

  async #conference(sessionId: string): Promise<ConferencesTable> {
    const row = await this.#deps.db.kysely.selectFrom('conferences').selectAll().where('session_id', '=', sessionId).executeTakeFirst();
    if (!row) throw notFound('conference');
    return row;
  }

  async #write<T>(sessionId: string, change: (trx: Transaction<Database>, row: ConferencesTable) => Promise<T>): Promise<T> {
    return this.#deps.db.write(async (trx) => {
      const row = await lockConference(trx, sessionId, this.#deps.db.dialect);
      if (!row) throw notFound('conference');
      return change(trx, row);
    });
  }
}
