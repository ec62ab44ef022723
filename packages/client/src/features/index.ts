// The SDK's lazily loaded features: everything beyond the seed's core calls. In the ESM build they are ordinary
// modules; in /v4h.js they are one chunk (/v4h-features.js) imported on first use, so the script tag stays small.
//
// To add a feature:
// 1. write `export async function myMethod(ctx: FeatureContext, …args): Promise<…>` in features/<feature>.ts, with its
//    JSDoc (it becomes the method's documentation), checking its arguments (typed V4HError, errors from '../errors.js');
// 2. re-export it below;
// 3. add its name to FEATURE_METHODS in V4H.ts: `v4h.myMethod(…args)` then loads the chunk and calls it with the context.
// Events a feature emits are declared in events.ts (V4HEvents) and emitted with `ctx.events.emit(…)`.
export { requestConference, getGuestUrl, listConferences } from './conferences.js';
export { createJoinLink } from './join-links.js';
export { getManifest, verifyConference } from './records.js';
export { uploadRecording, shareFile, listFiles } from './files.js';
export { requestConsent, answerConsent, startRecording, stopRecording, recordingEvent } from './recording.js';
export { watchWaitingRoom, listWaiting, admit, deny, allowAgain, joinAsGuest, waitToJoin } from './waiting.js';
export { precheck } from './precheck.js';
