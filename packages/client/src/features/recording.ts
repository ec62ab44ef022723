// Recording a visit with everyone's consent (issue 21): consent requests and answers, starting and stopping the
// recording, and the SDK events the conference's log turns into (consentRequested, recordingStarted/Stopped/Stored).
import { checkSessionId, checkString } from '../checks.js';
import { invalidArgument } from '../errors.js';
import type { PublicEvent, StoredFile } from '@v4h/protocol';
import type { FeatureContext } from './context.js';

/** A consent request as the server answers it: the exact text, its SHA-256 (what the record keeps) and its language. */
// The consent API's wire type (docs/api.md); to come from @v4h/protocol once the consent routes are on main.
export interface ConsentRequest {
  requestId: string;
  sessionId: string;
  purpose: 'recording';
  text: string;
  textSha256: string;
  locale: string;
  created: string;
}

/** Options of `requestConsent`. */
export interface ConsentRequestOptions {
  /** What is asked: `'recording'`. */
  purpose: 'recording';
  /** The exact text everyone is shown (default: the server's, in each person's language, pt-BR or en). */
  text?: string;
  /** The language of `text` (BCP 47, e.g. `pt-BR`; default pt-BR). */
  locale?: string;
}

const path = (sessionId: string, rest: string) => `/api/conferences/${encodeURIComponent(sessionId)}${rest}`;
const language = () => globalThis.navigator?.language || 'en';
/** The language each request's text was shown in here: the answer names it (its hash is what the record proves). */
const shownIn = new Map<string, string>();

/**
 * Owner: asks everyone in the call (and later joiners) to consent, with the exact text. The built-in room shows the
 * question itself; integrators drawing their own listen to `consentRequested` and answer with `answerConsent`.
 * @example
 * await v4h.requestConsent(id, { purpose: 'recording', text: 'Esta consulta será gravada para o prontuário.', locale: 'pt-BR' });
 */
export async function requestConsent(ctx: FeatureContext, sessionId: string, options: ConsentRequestOptions): Promise<ConsentRequest> {
  checkSessionId(sessionId);
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  if (options.purpose !== 'recording') throw invalidArgument("options.purpose must be 'recording'");
  if (options.text !== undefined) checkString(options.text, 'options.text');
  if (options.locale !== undefined) checkString(options.locale, 'options.locale');
  const { purpose, text, locale } = options;
  const request = await ctx.http.request<ConsentRequest>('POST', path(sessionId, '/consent-requests'), { body: { purpose, text, locale } });
  shownIn.set(request.requestId, request.locale);
  return request;
}

/**
 * Answers a consent request (from `consentRequested`): recorded in the conference's log with the hash of the text
 * shown. A refusal while recording stops the recording.
 * @example
 * v4h.on('consentRequested', async ({ sessionId, requestId, text }) => v4h.answerConsent(sessionId, requestId, confirm(text)));
 */
export async function answerConsent(ctx: FeatureContext, sessionId: string, requestId: string, accepted: boolean): Promise<'ok'> {
  checkSessionId(sessionId);
  checkString(requestId, 'requestId');
  if (typeof accepted !== 'boolean') throw invalidArgument('accepted must be true or false');
  const body = { accepted, locale: shownIn.get(requestId) ?? language() };
  await ctx.http.request('POST', path(sessionId, `/consent-requests/${encodeURIComponent(requestId)}/answer`), { body });
  return 'ok';
}

/**
 * Owner: starts recording the call (default: the open one). While consent is required the server refuses with
 * `consent_missing` (409; the message names who has not consented). The built-in room then records in the owner's
 * browser; Jitsi records with its own recorder (Jibri or JaaS), and `recordingUnavailable` says when it cannot.
 * @example
 * await v4h.startRecording();
 */
export async function startRecording(ctx: FeatureContext, sessionId?: string): Promise<'ok'> {
  const call = ctx.call();
  const id = sessionId ?? call?.sessionId;
  checkSessionId(id);
  await ctx.http.request('POST', path(id, '/recording/start'), { body: {} });
  if (call?.sessionId === id && !call.builtin) {
    // Jitsi answers an impossible recording (no Jibri, JaaS without recording) with recordingStatusChanged and an
    // error (call.ts turns it into recordingUnavailable): stop what the log says is recording, or it would say so
    // until the call ends. Its first answer settles it: `on` means Jitsi is recording.
    const { api } = call;
    const settled = (status: { on?: boolean; error?: string } | undefined) => {
      if (!status?.on && !status?.error) return;
      api.removeListener('recordingStatusChanged', settled);
      if (!status.on) void ctx.http.request('POST', path(id, '/recording/stop'), { body: { reason: 'recorder_unavailable' } }).catch(() => {});
    };
    api.on('recordingStatusChanged', settled);
    api.executeCommand('startRecording', { mode: 'file' });
  }
  return 'ok';
}

/** Owner: stops the recording (default: of the open call); `recordingStored` follows once the file is stored. */
export async function stopRecording(ctx: FeatureContext, sessionId?: string): Promise<'ok'> {
  const call = ctx.call();
  const id = sessionId ?? call?.sessionId;
  checkSessionId(id);
  if (call?.sessionId === id && !call.builtin) call.api.executeCommand('stopRecording', 'file');
  await ctx.http.request('POST', path(id, '/recording/stop'), { body: {} });
  return 'ok';
}

/** The SDK's events from a consent, recording or file event of the open call's log (V4H calls it, not integrators). */
export async function recordingEvent(ctx: FeatureContext, sessionId: string, type: string, event: PublicEvent): Promise<void> {
  const data = event.data;
  const { events, http } = ctx;
  if (type === 'recording_started') return events.emit('recordingStarted', { sessionId });
  if (type === 'recording_stopped') return events.emit('recordingStopped', { sessionId, reason: typeof data.reason === 'string' ? data.reason : 'owner' });
  if (type === 'consent_requested' && typeof data.requestId === 'string') {
    const shown = await http.request<ConsentRequest>(
      'GET',
      path(sessionId, `/consent-requests/${encodeURIComponent(data.requestId)}?locale=${encodeURIComponent(language())}`),
    );
    shownIn.set(shown.requestId, shown.locale);
    return events.emit('consentRequested', { sessionId, requestId: shown.requestId, purpose: shown.purpose, text: shown.text, locale: shown.locale });
  }
  if (type === 'file_stored' && data.kind === 'recording') {
    const { items } = await http.request<{ items: StoredFile[] }>('GET', path(sessionId, '/files'));
    const file = items.find((f) => f.fileId === data.fileId);
    if (file) events.emit('recordingStored', { sessionId, file });
  }
}
