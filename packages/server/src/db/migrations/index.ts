// The ordered list of migrations, shared by SQLite and PostgreSQL. Add new ones at the end.
import type { Migration } from 'kysely';
import * as core from './001-core.js';
import * as files from './006-files.js';
import * as filesPrimaryRecording from './007-files-primary-recording.js';
import * as records from './004-records.js';
import * as manifestsRebuiltFromEvents from './008-manifests-rebuilt-from-events.js';
import * as merkleTiles from './009-merkle-tiles.js';
import * as sealRequests from './010-seal-requests.js';
import * as jitsiReceipts from './012-jitsi-receipts.js';
import * as personalData from './011-personal-data.js';
import * as conferenceAccess from './013-conference-access.js';
import * as retention from './014-retention.js';
import * as callQuality from './015-call-quality.js';
import * as accessAudit from './016-access-audit.js';
import * as fileEncryption from './017-file-encryption.js';
import * as conferenceRemovals from './018-conference-removals.js';
import * as usernamesNormalised from './019-usernames-normalised.js';
import * as organisations from './020-organisations.js';
import * as apiKeys from './021-api-keys.js';
import * as waitingRoom from './022-waiting-room.js';
import * as consentRecordings from './023-consent-recordings.js';
import * as webhooks from './024-webhooks.js';
import * as webhookOutbox from './025-webhook-outbox.js';
import * as waitingUsers from './026-waiting-users.js';

export const migrations: Record<string, Migration> = {
  '001-core': core,
  '004-records': records,
  '006-files': files,
  '007-files-primary-recording': filesPrimaryRecording,
  '008-manifests-rebuilt-from-events': manifestsRebuiltFromEvents,
  '009-merkle-tiles': merkleTiles,
  '010-seal-requests': sealRequests,
  '011-personal-data': personalData,
  '012-jitsi-receipts': jitsiReceipts,
  '013-conference-access': conferenceAccess,
  '014-retention': retention,
  '015-call-quality': callQuality,
  '016-access-audit': accessAudit,
  '017-file-encryption': fileEncryption,
  '018-conference-removals': conferenceRemovals,
  '019-usernames-normalised': usernamesNormalised,
  '020-organisations': organisations,
  '021-api-keys': apiKeys,
  '022-waiting-room': waitingRoom,
  '023-consent-recordings': consentRecordings,
  '024-webhooks': webhooks,
  '025-webhook-outbox': webhookOutbox,
  '026-waiting-users': waitingUsers,
};
