// Public entry of @v4h/protocol: the HTTP wire (TypeBox schemas, each with its Static type of the same name), the error
// codes and the event names. The record format and its verifier are the subpath `@v4h/protocol/verify` (no TypeBox in
// it: browsers load it). The SDK imports only types from here, so nothing of this entry reaches its bundles.
export { ERROR_STATUS, ERROR_CODES, ErrorBody } from './errors.js';
export type { ErrorCode } from './errors.js';
export { CONFERENCE_EVENT_TYPES, PublicEvent } from './events.js';
export type { ConferenceEventType } from './events.js';
export { LoginBody, RefreshBody, TokenPair, OkBody, SessionBody } from './auth.js';
export {
  JoinPolicy,
  ListPolicy,
  ConferenceRequest,
  SessionIdBody,
  ProfileBody,
  GuestBody,
  PresenceBody,
  ConferenceState,
  ConferenceDetails,
  Embed,
  GuestUrl,
  GuestRevoked,
  ConferenceList,
  ConferenceListQuery,
  PresenceReply,
} from './conferences.js';
export { SessionIdParam } from './common.js';
export { VisitState, Brand, VisitInfo, KnockBody, KnockReply, VisitStateBody, WaitingEntry, WaitingList, DenyBody, JoinWaiting } from './waiting.js';
export { FileKind, StoredFile, FileList } from './storage.js';
export {
  OrganisationSettings,
  EffectiveSettings,
  Organisation,
  OrganisationList,
  NewOrganisation,
  OrganisationIdParam,
  Unit,
  UnitList,
  NewUnit,
  OrganisationRole,
  OrganisationUser,
  OrganisationUserList,
  NewOrganisationUser,
  OrganisationUserChange,
  OrganisationUserParam,
} from './organisations.js';
export { QualityReply } from './quality.js';
export {
  API_KEY_SCOPES,
  ApiKeyScope,
  ApiKeyCreate,
  ApiKeyInfo,
  ApiKeyCreated,
  ApiKeyList,
  JoinLinkRole,
  JoinLinkBody,
  JoinLink,
  JoinLinkOpened,
} from './apikeys.js';
export { IceServer, IceServersReply } from './network.js';
export { ManifestBundle, LinkBody, LinkReply, LedgerDescription } from './records.js';
export {
  ConsentPurpose,
  ConsentRequestBody,
  ConsentRequest,
  ConsentAnswerBody,
  ConsentAnswer,
  ConsentList,
  RecordingParticipant,
  RecordingStatus,
  RecordingUploadBody,
  RecordingStartBody,
  RecordingStopBody,
  Recording,
  RecordingChunk,
} from './recordings.js';
export {
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_EVENT_OF_LOGGED,
  webhookEventOfLogged,
  WebhookEvent,
  WebhookCreate,
  WebhookUpdate,
  Webhook,
  WebhookList,
  WebhookSecret,
  WebhookRotate,
  WebhookDeliveryStatus,
  WebhookDelivery,
  WebhookDeliveryList,
} from './webhooks.js';
export type { WebhookEventType } from './webhooks.js';
