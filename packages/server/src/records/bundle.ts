// Assembles a conference's manifest bundle: every sealed manifest with its proof and anchor (or pending status).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { iso } from '../lib/clock.js';
import type { Anchor, BundleEntry, InclusionProof, Manifest, ManifestBundle } from '@v4h/protocol/verify';
import { storedManifestText, type StoredEventFields } from './text.js';
import { proofFromTiles, tilesOfProof } from './merkle.js';
import type { AnchorDetails } from './ledger.js';

export async function loadBundle(db: Kysely<Database>, sessionId: string, conferenceHash: string | null): Promise<ManifestBundle> {
  const rows = await db
    .selectFrom('manifests')
    .leftJoin('anchor_batches', 'anchor_batches.id', 'manifests.batch_id')
    .select([
      'manifests.hash',
      'manifests.body',
      'manifests.sealed_at',
      'manifests.batch_id',
      'manifests.leaf_index',
      'manifests.proof',
      'manifests.part',
      'manifests.prev_hash',
      'manifests.from_seq',
      'manifests.to_seq',
      'anchor_batches.root',
      'anchor_batches.size',
      'anchor_batches.status',
      'anchor_batches.created_at as batched_at',
      'anchor_batches.anchor',
      'anchor_batches.last_error',
    ])
    .where('manifests.session_id', '=', sessionId)
    .orderBy('manifests.part')
    .execute();
  const lastSeq = await db
    .selectFrom('conference_events')
    .select((eb) => eb.fn.max('seq').as('seq'))
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  const sealedTo = rows.length ? rows[rows.length - 1].to_seq : 0;
  // The events that manifests stored without their text are rebuilt from.
  const events: StoredEventFields[] = rows.some((row) => row.body === null)
    ? await db
        .selectFrom('conference_events')
        .select(['seq', 'type', 'actor', 'at', 'data', 'prev_hash', 'hash'])
        .where('session_id', '=', sessionId)
        .where('seq', '<=', sealedTo)
        .orderBy('seq')
        .execute()
    : [];

  const manifests: BundleEntry[] = [];
  for (const row of rows) {
    const body =
      row.body ??
      storedManifestText(
        { ...row, session_id: sessionId },
        events.filter((e) => e.seq >= row.from_seq && e.seq <= row.to_seq),
      );
    let proof: InclusionProof | null = null;
    if (row.batch_id !== null && row.leaf_index !== null && row.root !== null && row.size !== null) {
      // Batches made before migration 009 stored each path; later ones store their tree as tiles.
      const path = row.proof !== null ? (JSON.parse(row.proof) as string[]) : await proofFromStoredTiles(db, row.batch_id, row.leaf_index, row.size);
      if (path) proof = { leafIndex: row.leaf_index, treeSize: row.size, path, root: row.root };
    }
    let anchor: Anchor;
    if (row.status === 'anchored' && row.anchor) anchor = { status: 'anchored', ...(JSON.parse(row.anchor) as AnchorDetails) };
    else if (row.status)
      anchor = {
        status: 'pending',
        stage: row.status === 'submitted' ? 'submitted' : 'batched',
        since: iso(row.batched_at)!,
        lastError: row.last_error ?? null,
      };
    else anchor = { status: 'pending', stage: 'unbatched', since: iso(row.sealed_at)!, lastError: null };
    manifests.push({ hash: row.hash, manifest: JSON.parse(body) as Manifest, proof, anchor });
  }
  return {
    kind: 'v4h-manifest-bundle',
    v: 1,
    sessionId,
    hash: conferenceHash,
    manifests,
    unsealedEvents: Math.max(0, Number(lastSeq?.seq ?? 0) - sealedTo),
  };
}

/** A member's audit path from its batch's tiles (null when they are missing or malformed: the bundle then has no proof). */
async function proofFromStoredTiles(db: Kysely<Database>, batchId: string, leafIndex: number, treeSize: number): Promise<string[] | null> {
  const wanted = tilesOfProof(leafIndex, treeSize);
  const tiles =
    wanted.length === 0
      ? []
      : await db
          .selectFrom('merkle_tiles')
          .select(['level', 'tile', 'nodes'])
          .where('batch_id', '=', batchId)
          .where((eb) => eb.or(wanted.map((w) => eb.and([eb('level', '=', w.level), eb('tile', '=', w.index)]))))
          .execute();
  return proofFromTiles(leafIndex, treeSize, (level, index) => tiles.find((t) => t.level === level && t.tile === index)?.nodes);
}
