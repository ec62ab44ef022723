// The one way personal data enters the event log: as commitments under a per-subject key kept outside the chain.
// docs/manifest.md §1.1 specifies them; erasing the subject deletes its key (crypto-shredding), and the commitment
// then proves nothing to anyone, while the event's hash, and so every manifest, stays the same.
import { createHmac, randomBytes } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { canonicalize } from '@v4h/protocol/verify';

/** Whose personal data a commitment is about: `guest:<guestId>`, `user:<userId>` or `file:<fileId>`. */
export type Subject = `guest:${string}` | `user:${string}` | `file:${string}`;

/** HMAC-SHA256 (lowercase hex) of the JCS text of `[attribute, value]` under a 32-byte key. */
export function commitment(key: Buffer, attribute: string, value: string): string {
  return createHmac('sha256', key)
    .update(canonicalize([attribute, value]))
    .digest('hex');
}

/**
 * Commits to a subject's personal attributes for an event's `data.commitments`, creating the subject's key on first
 * use (in the caller's transaction, so the key exists exactly when the event does). Use this, and only this, for any
 * personal value (name, e-mail, avatar URL, file name, address, user agent) an event must account for; put ids in
 * the event as they are.
 * @example data: { guestId, commitments: await commitPersonalData(trx, `guest:${guestId}`, { name }) }
 */
export async function commitPersonalData(
  trx: Transaction<Database> | Kysely<Database>,
  subject: Subject,
  attributes: Record<string, string>,
): Promise<Record<string, string>> {
  const key = await subjectKey(trx, subject);
  const out: Record<string, string> = {};
  for (const [attribute, value] of Object.entries(attributes)) out[attribute] = commitment(key, attribute, value);
  return out;
}

/** The subject's key, created (32 random bytes) if it has none; undefined never: erased subjects get a fresh key. */
async function subjectKey(trx: Transaction<Database> | Kysely<Database>, subject: Subject): Promise<Buffer> {
  await trx
    .insertInto('subject_keys')
    .values({ subject, key: randomBytes(32).toString('hex'), created_at: Date.now() })
    .onConflict((oc) => oc.column('subject').doNothing())
    .execute();
  const row = await trx.selectFrom('subject_keys').select('key').where('subject', '=', subject).executeTakeFirstOrThrow();
  return Buffer.from(row.key, 'hex');
}

/** The subject's key as hex (to disclose to someone who must check a commitment), or undefined once erased. */
export async function findSubjectKey(db: Kysely<Database>, subject: Subject): Promise<string | undefined> {
  const row = await db.selectFrom('subject_keys').select('key').where('subject', '=', subject).executeTakeFirst();
  return row?.key;
}
