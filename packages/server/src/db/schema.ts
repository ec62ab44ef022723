// Table types for kysely. Times are integer milliseconds since the epoch (UTC); booleans are 0/1.
import type { Generated } from 'kysely';

export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  disabled: number;
  created_at: number;
}

export interface RefreshTokensTable {
  token_hash: string;
  family_id: string;
  user_id: string;
  created_at: number;
  /** End of the family's absolute life (copied to every rotation). */
  family_expires_at: number;
  used_at: number | null;
}

export interface TokenFamiliesTable {
  id: string;
  user_id: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
  revoked_reason: string | null;
}

export interface RateLimitsTable {
  key: string;
  count: number;
  reset_at: number;
}

export interface ConferencesTable {
  session_id: string;
  owner_id: string;
  room_name: string;
  state: 'requested' | 'started' | 'ended';
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
  last_activity_at: number;
  /** Seal and anchor of the latest manifest (the records issue fills these). */
  hash: string | null;
  hash_type: string | null;
  dlt_id: string | null;
  dlt_type: string | null;
  /** 1 unless created before migration 011: then its events may name people (actors, guest names, file names). */
  pseudonymous?: number;
  /** Who may join (conferences/access-policy.ts); since migration 013. */
  join_policy: JoinPolicy;
  /** SESSIONPWD: argon2id hash of the conference password, else null. */
  join_password_hash: string | null;
  /** When its personal data was erased (by `v4h erase --conference` or retention); since migration 014. */
  personal_data_erased_at?: number | null;
  /** The organisation it belongs to: its owner's when created (`default` before migration 020; optional: inserts may leave it to the default). */
  organisation_id?: string;
  /** Who sees it in GET /api/conferences besides its owner (conferences/access-policy.ts); since migration 020. */
  list_policy?: ListPolicy;
  /** 1: guests wait for the owner to admit them, 2: users with accounts too (waiting/); since migrations 022 and 026. */
  waiting_room?: number;
  /** The owner's display name at their last start (personal data: erased with the conference or the owner); since 022. */
  host_name?: string | null;
}

/** ORG: the conference's organisation; ORGUNIT: its units' members; RESTRICT: named users; SESSIONPWD: a password; PUBLIC: any account. */
export type JoinPolicy = 'ORG' | 'ORGUNIT' | 'RESTRICT' | 'SESSIONPWD' | 'PUBLIC';

/** Who sees a conference listed, besides its owner: the join policies' names (SESSIONPWD: nobody else). */
export type ListPolicy = JoinPolicy;

/** An organisation (migration 020); `default` holds the users of an install made before organisations. */
export interface OrganisationsTable {
  id: string;
  name: string;
  /** JSON: { joinPolicy?, listPolicy? }, the defaults of its new conferences. */
  settings: string;
  created_at: number;
}

/** A unit of an organisation (a department, a clinic of a group). */
export interface OrgUnitsTable {
  id: string;
  organisation_id: string;
  name: string;
  created_at: number;
}

/** A user's one organisation and role in it. */
export interface OrganisationMembersTable {
  user_id: string;
  organisation_id: string;
  role: OrganisationRole;
  created_at: number;
}

export type OrganisationRole = 'admin' | 'member';

/** A user in a unit (of their own organisation). */
export interface UnitMembersTable {
  unit_id: string;
  user_id: string;
}

/** The units an ORGUNIT policy of a conference names. */
export interface ConferenceUnitsTable {
  session_id: string;
  unit_id: string;
}

/** Users named by the owner (`invited`, RESTRICT) or who passed the join policy (`admitted`). */
export interface ConferenceMembersTable {
  session_id: string;
  user_id: string;
  role: 'invited' | 'admitted';
}

export interface ParticipantsTable {
  session_id: string;
  participant_id: string;
  user_id: string | null;
  display_name: string | null;
  joined_at: number;
  left_at: number | null;
}

/** Append-only: rows are inserted, never updated or deleted. */
export interface ConferenceEventsTable {
  session_id: string;
  seq: number;
  type: string;
  actor: string;
  at: number;
  /** Canonical JSON of the event's data object. */
  data: string;
  prev_hash: string;
  hash: string;
}

/** A sealed manifest (records issue): `hash` is the SHA-256 of its JCS text. */
export interface ManifestsTable {
  session_id: string;
  part: number;
  hash: string;
  prev_hash: string | null;
  from_seq: number;
  to_seq: number;
  /** Its JCS text, or null (since migration 008): then rebuilt from its row and its events (records/text.ts). */
  body: string | null;
  sealed_at: number;
  /** Null until the anchor worker puts it in a batch; then its leaf index (and, before migration 009, its audit path as JSON). */
  batch_id: string | null;
  leaf_index: number | null;
  proof: string | null;
}

/** The anchoring outbox: one Merkle batch on its way to the ledger. */
export interface AnchorBatchesTable {
  id: string;
  created_at: number;
  root: string;
  size: number;
  /** Ledger type at creation: `v4h-local` or `evm:<chainId>`. */
  ledger: string;
  status: 'pending' | 'submitted' | 'anchored';
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  /** EVM: the nonce and every signed transaction recorded before it was sent (JSON). */
  tx_nonce: number | null;
  tx_attempts: string | null;
  dlt_id: string | null;
  /** JSON of the anchor as bundles show it. */
  anchor: string | null;
  anchored_at: number | null;
}

/** A batch's Merkle tree, stored as tiles of nodes (records/merkle.ts) that its audit paths are read from. */
export interface MerkleTilesTable {
  batch_id: string;
  level: number;
  tile: number;
  /** 32-byte node hashes, concatenated. */
  nodes: Buffer;
}

/** The embedded ledger: append-only, each entry names the previous one's hash and is signed. */
export interface LedgerEntriesTable {
  seq: number;
  hash: string;
  prev_hash: string;
  root: string;
  size: number;
  at: number;
  body: string;
  signature: string;
  batch_id: string;
}

/** An event appended to an ended conference, not sealed yet: the sealer's work list (deleted once sealed). */
export interface SealRequestsTable {
  session_id: string;
  seq: number;
  at: number;
}

export interface WorkerLeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

/** A stored recording or attachment (storage issue); bytes live in the storage back end under storage_key. */
export interface FilesTable {
  id: string;
  session_id: string;
  kind: 'recording' | 'attachment';
  name: string;
  size: number;
  content_type: string;
  /** Lowercase hex SHA-256 of the bytes, computed while they streamed in. */
  sha256: string;
  /** `user:<username>` or `recorder`. */
  uploader: string;
  /** The uploading user's id (null for the recorder); since migration 013. */
  uploader_id: string | null;
  /** 1 once the owner shares it with the participants (0/1). */
  shared: number;
  storage_key: string;
  created_at: number;
  /** Set when the bytes were removed from storage (the row stays: the record still names the file). */
  deleted_at?: number | null;
  deleted_reason?: string | null;
  /** Encryption scheme of the stored bytes (storage/encryption.ts); null: plaintext, stored before migration 017. */
  encryption?: string | null;
  /** Id of the master key that wrapped data_key. */
  key_id?: string | null;
  /** The file's own data key, wrapped by the master key; null once destroyed (erasure), or for plaintext files. */
  data_key?: string | null;
}

/** A per-subject key for commitments in events (db/commitments.ts): deleting it is crypto-shredding. */
export interface SubjectKeysTable {
  subject: string;
  /** 32 bytes, hex. */
  key: string;
  created_at: number;
}

/** A guest invited by link: personal data outside the event log, which names the guest by guest_id only. */
export interface GuestsTable {
  guest_id: string;
  session_id: string;
  name: string | null;
  avatar_url: string | null;
  created_at: number;
  erased_at: number | null;
}

export interface Database {
  files: FilesTable;
  users: UsersTable;
  token_families: TokenFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  rate_limits: RateLimitsTable;
  conferences: ConferencesTable;
  participants: ParticipantsTable;
  conference_members: ConferenceMembersTable;
  conference_events: ConferenceEventsTable;
  manifests: ManifestsTable;
  anchor_batches: AnchorBatchesTable;
  merkle_tiles: MerkleTilesTable;
  seal_requests: SealRequestsTable;
  ledger_entries: LedgerEntriesTable;
  worker_leases: WorkerLeasesTable;
  subject_keys: SubjectKeysTable;
  guests: GuestsTable;
  jitsi_receipts: JitsiReceiptsTable;
  call_quality: CallQualityTable;
  retention_runs: RetentionRunsTable;
  access_audit: AccessAuditTable;
  conference_removals: ConferenceRemovalsTable;
  organisations: OrganisationsTable;
  org_units: OrgUnitsTable;
  organisation_members: OrganisationMembersTable;
  unit_members: UnitMembersTable;
  conference_units: ConferenceUnitsTable;
  api_keys: ApiKeysTable;
  join_links: JoinLinksTable;
  webhooks: WebhooksTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_outbox: WebhookOutboxTable;
  waiting_room: WaitingRoomTable;
  waiting_users: WaitingUsersTable;
  consent_requests: ConsentRequestsTable;
  recordings: RecordingsTable;
  recording_chunks: RecordingChunksTable;
}

/** An organisation's API key (apikeys/): its secret only as a SHA-256 hash. */
export interface ApiKeysTable {
  id: string;
  organisation_id: string;
  name: string;
  /** Space-separated scopes. */
  scopes: string;
  secret_hash: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** An appointment-bound join link (apikeys/join-links.ts), beside its guests row. */
export interface JoinLinksTable {
  guest_id: string;
  session_id: string;
  /** The caller's id of the person (an EHR's): null once erased. */
  external_id: string | null;
  role: 'host' | 'participant' | 'guest';
  not_before: number;
  expires_at: number;
  waiting_room: number;
  api_key_id: string | null;
  created_at: number;
}

/** A guest link's place in its conference's waiting room (waiting/service.ts); since migration 022. */
export interface WaitingRoomTable {
  guest_id: string;
  session_id: string;
  participant_id: string;
  state: 'new' | 'waiting' | 'admitted' | 'denied';
  knocked_at: number | null;
  decided_at: number | null;
  /** The owner's words to a denied guest: personal data of sorts, never in the event log; erased with the guest. */
  deny_reason: string | null;
  /** When the current admission's video token was issued (once per admission). */
  entered_at: number | null;
  seen_at: number | null;
}

/** A user's place in a conference's waiting room when its users wait too (conferences.waiting_room 2); since 026. */
export interface WaitingUsersTable {
  participant_id: string;
  session_id: string;
  user_id: string;
  state: 'new' | 'waiting' | 'admitted' | 'denied';
  knocked_at: number | null;
  decided_at: number | null;
  deny_reason: string | null;
  entered_at: number | null;
  seen_at: number | null;
}

/** One read of health data (audit/access-audit.ts); append-only (a trigger refuses updates). */
export interface AccessAuditTable {
  id: string;
  at: number;
  actor: string;
  action: string;
  session_id: string | null;
  file_id: string | null;
  /** JSON array of ids, for a listing. */
  listed: string | null;
  address: string | null;
}

/** A retention pass that removed something (privacy/retention.ts); `removed` is JSON of ids and counts. */
export interface RetentionRunsTable {
  id: string;
  started_at: number;
  finished_at: number;
  removed: string;
}

/** A participant's call quality summary (JSON of room/quality.ts QualitySummary), replaced by each report. */
export interface CallQualityTable {
  session_id: string;
  participant_id: string;
  reported_at: number;
  summary: string;
}

/** Someone the owner removed from a conference: `user:<userId>` or `guest:<guestId>`. */
export interface ConferenceRemovalsTable {
  session_id: string;
  subject: string;
  removed_at: number;
}

/** One accepted Jitsi event post (`jaas:<idempotencyKey>`, `sig:<signature>`, `prosody:<body hash>`). */
export interface JitsiReceiptsTable {
  key: string;
  received_at: number;
}

export type { Generated };

/** A consent request (recordings/consents.ts): the exact texts shown, per language (JSON); since migration 023. */
export interface ConsentRequestsTable {
  request_id: string;
  session_id: string;
  purpose: string;
  locale: string;
  texts: string;
  created_by: string;
  created_at: number;
}

/** A recording: its live state (recording/start … stop) and its chunked upload (recordings/recordings.ts). */
export interface RecordingsTable {
  recording_id: string;
  session_id: string;
  created_by: string;
  mime_type: string;
  live: 'recording' | 'stopped' | null;
  stop_reason: string | null;
  state: 'open' | 'completing' | 'complete' | 'abandoned';
  next_index: number;
  bytes: number;
  file_id: string | null;
  created_at: number;
  updated_at: number;
  stopped_at: number | null;
}

/** One stored chunk of a recording's upload, sealed under its own data key. */
export interface RecordingChunksTable {
  recording_id: string;
  idx: number;
  size: number;
  sha256: string;
  storage_key: string;
  encryption: string | null;
  key_id: string | null;
  data_key: string | null;
}

/** An organisation's webhook endpoint (webhooks/); its secrets wrapped under the master key. */
export interface WebhooksTable {
  id: string;
  organisation_id: string;
  url: string;
  /** JSON array of event types. */
  events: string;
  description: string | null;
  secret_key_id: string;
  secret: string;
  previous_key_id: string | null;
  previous_secret: string | null;
  previous_expires_at: number | null;
  created_at: number;
  created_by: string;
  disabled_at: number | null;
  disabled_reason: string | null;
  failing_since: number | null;
  consecutive_failures: number;
}

/** The (organisation, event type) pairs an enabled endpoint receives: what the outbox insert reads. */
export interface WebhookSubscriptionsTable {
  organisation_id: string;
  event_type: string;
  webhook_id: string;
}

/** One event to send to one endpoint (db/webhook-outbox.ts writes them, webhooks/worker.ts sends them). */
/** Deliveries appended by the transactions that log events, until the worker relays them (db/webhook-outbox.ts). */
export interface WebhookOutboxTable {
  id: Generated<number>;
  webhook_id: string;
  organisation_id: string;
  session_id: string;
  event_type: string;
  event_seq: number | null;
  data: string | null;
  event_id: string;
  created_at: number;
}

/** An outbox row once relayed: the same columns, and its delivery's state. */
export interface WebhookDeliveriesTable extends WebhookOutboxTable {
  status: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  next_attempt_at: number;
  lease_until: Generated<number>;
  lease_owner: string | null;
  delivered_at: number | null;
  last_status: number | null;
  last_error: string | null;
  redelivery_of: string | null;
}
