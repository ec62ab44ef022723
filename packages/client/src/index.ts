// Public entry of @v4h/client: named re-exports only.
import { V4H as V4HClass } from './V4H.js';
import { verifyWebhook } from './verify-webhook.js';

/**
 * The SDK class; in this (ESM) build with the static `V4H.verifyWebhook` for servers that receive V4H's webhooks
 * (the script tag's /v4h.js leaves it out: pages do not receive webhooks, and every byte there is loaded by them).
 */
export const V4H = Object.assign(V4HClass, { verifyWebhook });
export type V4H = V4HClass;
export { verifyWebhook };
export type { VerifyWebhookOptions, WebhookEvent } from './verify-webhook.js';
export type {
  V4HOptions,
  ConferenceDetails,
  JoinPolicy,
  RequestConferenceOptions,
  JoinConferenceOptions,
  ListConferencesOptions,
  ConferenceList,
} from './V4H.js';
export { V4HError, isV4HError } from './errors.js';
export type { V4HErrorCode, V4HClientErrorCode, V4HServerErrorCode } from './errors.js';
export type { V4HEvents, V4HEventName, V4HListener } from './events.js';
export type { FetchLike } from './http.js';
export { memoryTokenStore, sessionTokenStore } from './tokens.js';
export type { TokenStore, StoredTokens } from './tokens.js';
export type { Embed, HangUpReason } from './call.js';
export type { JitsiMeetExternalAPI, JitsiCommands, JitsiEvents, JitsiOptions, JitsiEmbedOptions } from './jitsi.js';
export type { StoredFile, FileKind, UploadBody, UploadOptions, UploadProgress } from './files.js';
export { verifyBundle } from './verify.js';
export type { ManifestBundle, VerificationReport, VerifyConferenceOptions, Check, CheckName } from './records.js';
export type { PrecheckOptions, PrecheckReport, PrecheckReason, PrecheckVerdict, NetworkFigures, CameraReport, MicrophoneReport } from './features/precheck.js';
