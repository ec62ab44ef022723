// Test helpers of the apikeys domain: organisations and members written straight to the database, JSON over HTTP.
import type { Db } from '../db/database.js';
import type { TestApp } from '../test-support/test-app.js';

/** An organisation (migration 020's table). */
export async function addOrganisation(db: Db, id: string): Promise<void> {
  await db.write((trx) => trx.insertInto('organisations').values({ id, name: id, settings: '{}', created_at: Date.now() }).execute());
}

/** Moves the user (by username) into the organisation (a user belongs to one: new ones start in `default`). */
export async function addMember(db: Db, organisationId: string, username: string, role: 'admin' | 'member'): Promise<void> {
  const user = await db.kysely.selectFrom('users').select('id').where('username', '=', username).executeTakeFirstOrThrow();
  await db.write((trx) => trx.updateTable('organisation_members').set({ organisation_id: organisationId, role }).where('user_id', '=', user.id).execute());
}

/** A JSON request with `Authorization: Bearer <token>` (an access token or an API key). */
export async function jsonRequest(t: TestApp, method: string, path: string, body?: unknown, token?: string) {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  // eslint-disable-next-line @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment -- tests read whichever answer came
  const answer: any = text ? JSON.parse(text) : undefined;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- as above
  return { status: res.status, headers: res.headers, body: answer };
}
