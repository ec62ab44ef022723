// Recording a visit with everyone's consent (issue 21): consent requests and answers, start and stop, and the events
// the conference's log and the call's IFrame API turn into (consentRequested, recording*, recordingUnavailable).
import { V4HError, invalidArgument } from '../errors.js';
import type { Emitter } from '../events.js';
import type { HttpClient } from '../http.js';
import type { Call } from '../call.js';
import type { PublicEvent } from '@v4h/protocol';
import type { StoredFile } from '../files.js';

/** What these functions need of the V4H instance. */
export interface RecordingContext {
  http: HttpClient;
  events: Emitter;
  /** The current call, or null. */
  call: Call | null;
  /** Whether the current call is in the built-in room (it records itself) rather than Jitsi. */
  builtin: boolean;
}

/** Options of `requestConsent`. */
export interface ConsentRequestOptions {
  /** What is asked: `recording`. */
  purpose: 'recording';
  /** The exact text shown to everyone (default: the server's, in each person's language). */
  text?: string;
  /** The language of `text` (BCP 47, e.g. `pt-BR`). */
  locale?: string;
}

/** A consent request as the server answers it: the exact text and its SHA-256 (what the record keeps). */
export interface ConsentRequest {
  requestId: string;
  purpose: string;
  text: string;
  textSha256: string;
  locale: string;
}

const path = (sessionId: string, rest: string) => `/api/conferences/${encodeURIComponent(sessionId)}${rest}`;
const language = () => globalThis.navigator?.language || 'en';
/** The locale each request's text was fetched in (answers name the text they answer). */
const shownIn = new Map<string, string>();

function checkId(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string' || !value || value.length > 200) throw invalidArgument(`${name} must be a non-empty string`);
}

/** Owner: asks everyone in the call (and waiting) for consent; resolves the request with its exact text. */
export async function requestConsent(ctx: RecordingContext, sessionId: string, options: ConsentRequestOptions): Promise<ConsentRequest> {
  checkId(sessionId, 'sessionId');
  if (typeof options !== 'object' || options === null) throw invalidArgument('options must be an object');
  if (options.purpose !== 'recording') throw invalidArgument("options.purpose must be 'recording'");
  if (options.text !== undefined && (typeof options.text !== 'string' || !options.text.trim())) throw invalidArgument('options.text must be a non-empty string');
  if (options.locale !== undefined) checkId(options.locale, 'options.locale');
  const body = { purpose: options.purpose, ...(options.text !== undefined ? { text: options.text } : {}), ...(options.locale ? { locale: options.locale } : {}) };
  const request = await ctx.http.request<ConsentRequest>('POST', path(sessionId, '/consent-requests'), { body });
  shownIn.set(request.requestId, request.locale);
  return request;
}

/** The caller's answer to a consent request (`locale`: of the text shown; default the one `consentRequested` carried). */
export async function answerConsent(ctx: RecordingContext, sessionId: string, requestId: string, accepted: boolean, locale?: string): Promise<'ok'> {
  checkId(sessionId, 'sessionId');
  checkId(requestId, 'requestId');
  if (typeof accepted !== 'boolean') throw invalidArgument('accepted must be true or false');
  if (locale !== undefined) checkId(locale, 'locale');
  const body = { accepted, locale: locale ?? shownIn.get(requestId) ?? language() };
  await ctx.http.request('POST', path(sessionId, `/consent-requests/${encodeURIComponent(requestId)}/answer`), { body });
  return 'ok';
}


/**
 * Owner: starts recording the call (default: the current one). The server refuses with `consent_missing` (409,
 * naming who has not consented) while consent is required; the built-in room then records in this browser, Jitsi
 * with its own recorder (Jibri or JaaS).
 */
export async function startRecording(ctx: RecordingContext, sessionId?: string): Promise<'ok'> {
  const id = sessionId ?? ctx.call?.sessionId;
  checkId(id, 'sessionId (no call is open)');
  await ctx.http.request('POST', path(id, '/recording/start'), { body: {} });
  const call = ctx.call;
  if (call?.sessionId === id && !ctx.builtin) call.api.executeCommand('startRecording', { mode: 'file' });
  return 'ok';
}

/** Owner: stops the recording (default: of the current call); `recordingStored` follows once the file is stored. */
export async function stopRecording(ctx: RecordingContext, sessionId?: string): Promise<'ok'> {
  const id = sessionId ?? ctx.call?.sessionId;
  checkId(id, 'sessionId (no call is open)');
  const call = ctx.call;
  if (call?.sessionId === id && !ctx.builtin) call.api.executeCommand('stopRecording', 'file');
  await ctx.http.request('POST', path(id, '/recording/stop'), { body: {} });
  return 'ok';
}

/** The SDK's events from a conference event (the server→SDK channel). */
export async function onConferenceEvent(ctx: RecordingContext, sessionId: string, type: string, event: PublicEvent): Promise<void> {
  const data = event.data;
  if (type === 'recording_started') return ctx.events.emit('recordingStarted', { sessionId });
  if (type === 'recording_stopped') return ctx.events.emit('recordingStopped', { sessionId });
  if (type === 'consent_requested' && typeof data.requestId === 'string') {
    const requestId = data.requestId;
    const shown = await ctx.http.request<ConsentRequest>('GET', path(sessionId, `/consent-requests/${encodeURIComponent(requestId)}?locale=${encodeURIComponent(language())}`));
    shownIn.set(requestId, shown.locale);
    return ctx.events.emit('consentRequested', { sessionId, requestId, purpose: shown.purpose, text: shown.text, locale: shown.locale });
  }
  if (type === 'file_stored' && data.kind === 'recording' && typeof data.fileId === 'string') {
    const { items } = await ctx.http.request<{ items: StoredFile[] }>('GET', path(sessionId, '/files'));
    const file = items.find((f) => f.fileId === data.fileId);
    if (file) ctx.events.emit('recordingStored', { sessionId, file });
  }
}

/** The call's recordingStatusChanged with an error (Jitsi without Jibri or JaaS recording, a browser that cannot record). */
export function watchRecordingStatus(ctx: RecordingContext, call: Call): void {
  call.api.on('recordingStatusChanged', (status: { on?: boolean; error?: string; message?: string }) => {
    if (!status?.error) return;
    ctx.events.emit('recordingUnavailable', { sessionId: call.sessionId, reason: status.error, ...(status.message ? { message: status.message } : {}) });
  });
}

export { V4HError };
