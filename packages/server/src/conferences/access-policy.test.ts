// The access policy on its own (the HTTP answers it gives are in access.test.ts and each domain's tests): the owner,
// the admin, other users, guests and the recorder, for actions decided from the row and those that need the database.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '../test-support/test-app.js';
import { endedConference } from '../test-support/records-fixtures.js';
import { appendEvent } from '../db/event-log.js';
import { AccessPolicy, permitsFromRow, type ConferenceAccess, type Principal, type RowAction } from './access-policy.js';

const conference = { sessionId: 's', ownerId: 'u-owner' };
const owner: Principal = { kind: 'user', id: 'u-owner' };
const admin: Principal = { kind: 'user', id: 'u-admin', admin: true };
const other: Principal = { kind: 'user', id: 'u-other' };
const guest: Principal = { kind: 'guest', id: 'guest-1' };
const recorder: Principal = { kind: 'recorder' };
const ROW_ACTIONS: RowAction['do'][] = ['read_details', 'manage', 'read_records', 'read_quality', 'delete_file', 'save_chat'];

describe('actions decided from the row', () => {
  it('the owner may do all of them; the admin only read call quality and delete files; nobody else any', () => {
    const allowed = (who: Principal) => ROW_ACTIONS.filter((action) => permitsFromRow(who, conference, { do: action }));
    expect(allowed(owner)).toEqual(ROW_ACTIONS);
    expect(allowed(admin)).toEqual(['read_quality', 'delete_file']);
    expect(allowed(other)).toEqual([]);
    expect(allowed(guest)).toEqual([]);
    expect(allowed(recorder)).toEqual([]);
    // A guest whose id happens to equal the owner's user id is still a guest.
    expect(allowed({ kind: 'guest', id: 'u-owner' })).toEqual([]);
  });
});

describe('the pre-call relay', () => {
  it('users and guests may have TURN credentials for the check; the recorder may not', () => {
    const policy = new AccessPolicy({ db: undefined as never, clock: { now: () => 0 } });
    expect([owner, other, guest, recorder].map((who) => policy.mayUseRelay(who))).toEqual([true, true, true, false]);
  });
});

describe('AccessPolicy', () => {
  let database: MigratedTestDatabase;
  let policy: AccessPolicy;
  let access: ConferenceAccess;
  const ownerId = 'u-owner';

  beforeEach(async () => {
    database = await createMigratedTestDatabase('access-policy');
    const db = database.db;
    for (const id of [ownerId, 'u-other', 'u-joined', 'u-issued']) {
      await db.kysely.insertInto('users').values({ id, username: id, password_hash: 'x', created_at: 0, disabled: 0 }).execute();
    }
    const sessionId = await endedConference(db.kysely, ownerId, Date.now());
    access = { sessionId, ownerId, organisationId: 'default', joinPolicy: 'ORG', joinPasswordHash: null };
    await db.kysely
      .insertInto('participants')
      .values({ session_id: sessionId, participant_id: 'p-joined', user_id: 'u-joined', display_name: null, joined_at: 0, left_at: 0 })
      .execute();
    await appendEvent(db.kysely, {
      sessionId,
      type: 'token_issued',
      actor: 'user:u-issued',
      at: Date.now(),
      data: { to: 'user:u-issued', role: 'participant' },
    });
    policy = new AccessPolicy({ db, clock: { now: () => Date.now() } });
  });
  afterEach(() => database.destroy());

  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => 'allowed',
      (e: unknown) => (e instanceof AppError ? `${e.code}: ${e.message}` : String(e)),
    );

  it('check answers at once, and refuses with the rule that applies', () => {
    expect(policy.check(owner, access, { do: 'read_details' })).toBeUndefined();
    expect(() => policy.check(other, access, { do: 'read_details' })).toThrow('only the conference owner may do this');
    expect(() => policy.check(other, access, { do: 'read_records' })).toThrow('only the conference owner may see its records');
    expect(() => policy.check(other, access, { do: 'read_quality' })).toThrow('only the conference owner or the admin may read its call quality');
  });

  it('follow_events: the owner, a user who joined, a user given a call token; not another user, a guest or the recorder', async () => {
    const follows = async (who: Principal) => policy.allows(who, access, { do: 'follow_events' });
    expect(await follows(owner)).toBe(true);
    expect(await follows({ kind: 'user', id: 'u-joined' })).toBe(true);
    expect(await follows({ kind: 'user', id: 'u-issued' })).toBe(true);
    expect(await follows(other)).toBe(false);
    expect(await follows(guest)).toBe(false);
    expect(await follows(recorder)).toBe(false);
    expect(await refusal(policy.require(other, access, { do: 'follow_events' }))).toBe('forbidden: only the owner and participants may follow this conference');
  });

  it('uploads: the recorder only recordings, a user not admitted nothing, and only the owner shares at upload', async () => {
    expect(await policy.allows(recorder, access, { do: 'upload', kind: 'recording' })).toBe(true);
    expect(await policy.allows(recorder, access, { do: 'upload', kind: 'attachment' })).toBe(false);
    expect(await policy.allows(other, access, { do: 'upload', kind: 'attachment' })).toBe(false);
    expect(await policy.allows(guest, access, { do: 'upload', kind: 'attachment' })).toBe(false);
    expect(await refusal(policy.require(owner, access, { do: 'upload', kind: 'attachment', shared: true }))).toBe('allowed');
    await policy.admit(database.db.kysely, access.sessionId, 'u-other');
    expect(await refusal(policy.require(other, access, { do: 'upload', kind: 'attachment' }))).toBe('allowed');
    expect(await refusal(policy.require(other, access, { do: 'upload', kind: 'attachment', shared: true }))).toBe(
      'forbidden: only the conference owner may share files with the participants',
    );
  });

  it('join ORG: members of the conference’s organisation; a user of another organisation is refused with the policy named', async () => {
    const db = database.db.kysely;
    await db.insertInto('organisations').values({ id: 'org-b', name: 'Clinic B', settings: '{}', created_at: 0 }).execute();
    await db.insertInto('users').values({ id: 'u-b', username: 'u-b', password_hash: 'x', created_at: 0, disabled: 0 }).execute();
    await db.insertInto('organisation_members').values({ user_id: 'u-b', organisation_id: 'org-b', role: 'member', created_at: 0 }).execute();
    await db.insertInto('organisation_members').values({ user_id: 'u-other', organisation_id: 'default', role: 'member', created_at: 0 }).execute();
    const outsider: Principal = { kind: 'user', id: 'u-b' };
    expect(await refusal(policy.require(other, access, { do: 'join' }))).toBe('allowed');
    // u-joined has no membership row (inserted by hand): a member of `default`, as every user was before organisations.
    expect(await refusal(policy.require({ kind: 'user', id: 'u-joined' }, access, { do: 'join' }))).toBe('allowed');
    expect(await refusal(policy.require(outsider, access, { do: 'join' }))).toBe(
      'forbidden: join policy ORG: only colleagues of the owner’s organisation may join',
    );
    // The same conference in org-b admits u-b and no longer the members of `default`.
    const inB = { ...access, organisationId: 'org-b' };
    expect(await refusal(policy.require(outsider, inB, { do: 'join' }))).toBe('allowed');
    expect(await refusal(policy.require({ kind: 'user', id: 'u-joined' }, inB, { do: 'join' }))).toMatch(/^forbidden: join policy ORG/);
    // A principal that brings its membership is not looked up.
    const claimed: Principal = { kind: 'user', id: 'u-joined', membership: { organisationId: 'org-b', role: 'member', unitIds: [] } };
    expect(await policy.membership(claimed)).toEqual({ organisationId: 'org-b', role: 'member', unitIds: [] });
    expect(await policy.membership(outsider)).toEqual({ organisationId: 'org-b', role: 'member', unitIds: [] });
    expect(await policy.membership(guest)).toBeNull();
  });
});
