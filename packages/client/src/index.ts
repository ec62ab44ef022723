// Public entry of @v4h/client: named re-exports only.
export { V4H } from './V4H.js';
export type { V4HOptions, ConferenceDetails, JoinPolicy, RequestConferenceOptions, JoinConferenceOptions } from './V4H.js';
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
