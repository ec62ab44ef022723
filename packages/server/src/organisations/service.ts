// Organisations, their units and their users (issue 22), independent of HTTP: the routes and the CLI call it. Who may
// do what is the access policy's (conferences/access-policy.ts); the CLI acts as the machine's operator.
import type { Db } from '../db/database.js';
import type { Clock } from '../lib/clock.js';
import type { Organisation, OrganisationSettings, OrganisationUser, Unit } from '@v4h/protocol';
import type { OrganisationRole } from '../db/schema.js';
import type { AccessPolicy, Principal } from '../conferences/access-policy.js';
import type { AuthService } from '../auth/service.js';
import { AppError, notFound } from '../errors.js';
import { iso } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { parseSettings, resolveUnitIds } from '../db/memberships.js';
import { normalizeUsername } from '../auth/usernames.js';

/** Whoever runs `v4h` on the server's machine: they hold the database already, so every action is theirs. */
export const OPERATOR = { kind: 'operator' } as const;
export type Actor = Principal | typeof OPERATOR;

// Names are shown to people: no control characters. Not personal data (a clinic, a department).
const NAME_PATTERN = /^\P{Cc}{1,100}$/u;

export class OrganisationService {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #access: AccessPolicy;
  readonly #auth: AuthService;

  constructor(deps: { db: Db; clock: Clock; access: AccessPolicy; auth: AuthService }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#access = deps.access;
    this.#auth = deps.auth;
  }

  /** The instance admin and the operator: every organisation; anyone else: their own. */
  async list(actor: Actor): Promise<Organisation[]> {
    let query = this.#db.kysely.selectFrom('organisations').selectAll().orderBy('name');
    if (actor.kind !== 'operator' && !(actor.kind === 'user' && actor.admin)) {
      const membership = await this.#access.membership(actor);
      if (!membership) return [];
      query = query.where('id', '=', membership.organisationId);
    }
    return (await query.execute()).map(toOrganisation);
  }

  async create(actor: Actor, input: { name: string; settings?: OrganisationSettings }): Promise<Organisation> {
    await this.#require(actor, null, 'create');
    const name = checkName(input.name, 'organisation');
    if (await this.#db.kysely.selectFrom('organisations').select('id').where('name', '=', name).executeTakeFirst()) {
      throw new AppError('conflict', `organisation ${name} already exists`);
    }
    const row = { id: newId(), name, settings: JSON.stringify(input.settings ?? {}), created_at: this.#clock.now() };
    await this.#db.write((trx) => trx.insertInto('organisations').values(row).execute()).catch(conflictAs(`organisation ${name} already exists`));
    return toOrganisation(row);
  }

  /** An organisation by id, or (for the CLI) by name. */
  async get(actor: Actor, ref: string): Promise<Organisation> {
    const row = await this.#find(ref);
    // Refused before "not found": ids of other organisations cannot be probed.
    await this.#require(actor, row?.id ?? ref, 'read');
    if (!row) throw notFound(`organisation ${ref}`);
    return toOrganisation(row);
  }

  /** Sets the defaults of new conferences: the fields given replace the old ones (the others stay). */
  async updateSettings(actor: Actor, ref: string, settings: OrganisationSettings): Promise<Organisation> {
    const row = await this.#manageable(actor, ref);
    const merged = JSON.stringify({ ...JSON.parse(row.settings || '{}'), ...settings });
    await this.#db.write((trx) => trx.updateTable('organisations').set({ settings: merged }).where('id', '=', row.id).execute());
    return toOrganisation({ ...row, settings: merged });
  }

  async listUnits(actor: Actor, ref: string): Promise<Unit[]> {
    const org = await this.#readable(actor, ref);
    const rows = await this.#db.kysely.selectFrom('org_units').selectAll().where('organisation_id', '=', org.id).orderBy('name').execute();
    return rows.map(toUnit);
  }

  async addUnit(actor: Actor, ref: string, input: { name: string }): Promise<Unit> {
    const org = await this.#manageable(actor, ref);
    const name = checkName(input.name, 'unit');
    const taken = await this.#db.kysely.selectFrom('org_units').select('id').where('organisation_id', '=', org.id).where('name', '=', name).executeTakeFirst();
    if (taken) throw new AppError('conflict', `unit ${name} already exists in ${org.name}`);
    const row = { id: newId(), organisation_id: org.id, name, created_at: this.#clock.now() };
    await this.#db.write((trx) => trx.insertInto('org_units').values(row).execute()).catch(conflictAs(`unit ${name} already exists in ${org.name}`));
    return toUnit(row);
  }

  async listUsers(actor: Actor, ref: string): Promise<OrganisationUser[]> {
    const org = await this.#manageable(actor, ref);
    const rows = await this.#db.kysely
      .selectFrom('organisation_members')
      .innerJoin('users', 'users.id', 'organisation_members.user_id')
      .select(['users.id', 'users.username', 'users.disabled', 'users.created_at', 'organisation_members.role'])
      .where('organisation_members.organisation_id', '=', org.id)
      .orderBy('users.username')
      .execute();
    const units = await this.#db.kysely
      .selectFrom('unit_members')
      .innerJoin('org_units', 'org_units.id', 'unit_members.unit_id')
      .select(['unit_members.user_id', 'unit_members.unit_id'])
      .where('org_units.organisation_id', '=', org.id)
      .orderBy('unit_members.unit_id')
      .execute();
    return rows.map((row) => ({
      username: row.username,
      role: row.role,
      units: units.filter((u) => u.user_id === row.id).map((u) => u.unit_id),
      disabled: Boolean(row.disabled),
      created: iso(Number(row.created_at))!,
    }));
  }

  /** A new account in this organisation (argon2id, the usual username and password rules), with its role and units. */
  async addUser(
    actor: Actor,
    ref: string,
    input: { username: string; password: string; role?: OrganisationRole; units?: string[] },
  ): Promise<OrganisationUser> {
    const org = await this.#manageable(actor, ref);
    const unitIds = await this.#unitIds(org.id, input.units ?? []);
    const user = await this.#auth.createUser(input.username, input.password, { organisationId: org.id, role: input.role ?? 'member' });
    if (unitIds.length > 0)
      await this.#db.write((trx) =>
        trx
          .insertInto('unit_members')
          .values(unitIds.map((unit_id) => ({ unit_id, user_id: user.id })))
          .execute(),
      );
    return this.#user(org.id, user.username);
  }

  /** Changes a user's role, and replaces their units with those given. */
  async changeUser(actor: Actor, ref: string, username: string, change: { role?: OrganisationRole; units?: string[] }): Promise<OrganisationUser> {
    const org = await this.#manageable(actor, ref);
    const member = await this.#member(org.id, username);
    const unitIds = change.units === undefined ? undefined : await this.#unitIds(org.id, change.units);
    await this.#db.write(async (trx) => {
      if (change.role) await trx.updateTable('organisation_members').set({ role: change.role }).where('user_id', '=', member.id).execute();
      if (unitIds) {
        await trx.deleteFrom('unit_members').where('user_id', '=', member.id).execute();
        if (unitIds.length > 0)
          await trx
            .insertInto('unit_members')
            .values(unitIds.map((unit_id) => ({ unit_id, user_id: member.id })))
            .execute();
      }
    });
    return this.#user(org.id, member.username);
  }

  async #user(organisationId: string, username: string): Promise<OrganisationUser> {
    const name = normalizeUsername(username);
    const found = (await this.listUsers(OPERATOR, organisationId)).find((u) => u.username === name);
    if (!found) throw notFound(`user ${name}`);
    return found;
  }

  /** A user of this organisation; one of another is "not found" here, as if they did not exist. */
  async #member(organisationId: string, username: string): Promise<{ id: string; username: string }> {
    const row = await this.#db.kysely
      .selectFrom('users')
      .innerJoin('organisation_members', 'organisation_members.user_id', 'users.id')
      .select(['users.id', 'users.username'])
      .where('users.username', '=', normalizeUsername(username))
      .where('organisation_members.organisation_id', '=', organisationId)
      .executeTakeFirst();
    if (!row) throw notFound(`user ${normalizeUsername(username)} in this organisation`);
    return row;
  }

  /** Units of this organisation by id or name; an unknown one is a validation error naming it. */
  async #unitIds(organisationId: string, refs: string[]): Promise<string[]> {
    const { ids, unknown } = await resolveUnitIds(this.#db.kysely, organisationId, refs);
    if (unknown.length > 0) throw new AppError('validation_failed', `unknown units in this organisation: ${unknown.join(', ')}`);
    return ids;
  }

  async #readable(actor: Actor, ref: string) {
    const row = await this.#find(ref);
    await this.#require(actor, row?.id ?? ref, 'read');
    if (!row) throw notFound(`organisation ${ref}`);
    return row;
  }

  async #manageable(actor: Actor, ref: string) {
    const row = await this.#find(ref);
    await this.#require(actor, row?.id ?? ref, 'manage');
    if (!row) throw notFound(`organisation ${ref}`);
    return row;
  }

  async #require(actor: Actor, organisationId: string | null, action: 'create' | 'read' | 'manage'): Promise<void> {
    if (actor.kind === 'operator') return;
    await this.#access.requireOrganisation(actor, organisationId, action);
  }

  #find(ref: string) {
    return this.#db.kysely
      .selectFrom('organisations')
      .selectAll()
      .where((eb) => eb.or([eb('id', '=', ref), eb('name', '=', ref)]))
      .orderBy('id')
      .executeTakeFirst();
  }
}

function checkName(name: string, what: string): string {
  const trimmed = name.normalize('NFC').trim();
  if (!NAME_PATTERN.test(trimmed)) throw new AppError('validation_failed', `a ${what} name is 1 to 100 characters, without control characters`);
  return trimmed;
}

const toOrganisation = (row: { id: string; name: string; settings: string; created_at: number | string }): Organisation => ({
  id: row.id,
  name: row.name,
  settings: parseSettings(row.settings),
  created: iso(Number(row.created_at))!,
});

const toUnit = (row: { id: string; name: string; created_at: number | string }): Unit => ({
  id: row.id,
  name: row.name,
  created: iso(Number(row.created_at))!,
});

/** A unique violation from a race between the check and the insert becomes the same 409 as the check. */
function conflictAs(message: string) {
  return (error: unknown): never => {
    const code = (error as { code?: string })?.code;
    if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new AppError('conflict', message);
    throw error;
  };
}
