// Recordings and attachments in the SDK: streamed uploads with progress (XMLHttpRequest in browsers, fetch in Node) and listing.
import { V4HError, invalidArgument, type V4HErrorCode } from './errors.js';
import type { FetchLike, HttpClient, TokenSource } from './http.js';
import type { FileKind, FileList, StoredFile } from '@v4h/protocol';

/** What a stored file is (recording or attachment), and a stored file as the server lists it: the wire's types. */
export type { FileKind, StoredFile };

/** Upload progress: bytes sent so far and the file's size. */
export interface UploadProgress {
  loaded: number;
  total: number;
}

/** Options of `uploadRecording`. */
export interface UploadOptions {
  /** Default 'recording' (owner only); participants may upload 'attachment's. */
  kind?: FileKind;
  /** Name shown to readers (default: the File's name, else one the server picks). */
  name?: string;
  /** Media type (default: the Blob's type, e.g. MediaRecorder's `video/webm;codecs=vp8,opus`). */
  contentType?: string;
  /** Owner: the participants see it too (default: only the owner and the uploader; see `shareFile`). */
  shared?: boolean;
  /** Called as bytes go out. */
  onProgress?: (progress: UploadProgress) => void;
  /** Lowercase hex SHA-256 of the file if already known: the server then refuses altered bytes (`digest_mismatch`). */
  sha256?: string;
  /** Cancels the upload; the server then keeps nothing. */
  signal?: AbortSignal;
}

/** What `uploadRecording` accepts. */
export type UploadBody = Blob | ArrayBuffer | ArrayBufferView;

/** What an upload needs from the V4H instance. */
export interface UploadDeps {
  http: HttpClient;
  tokens: TokenSource;
  fetch: FetchLike;
}

interface Answer {
  status: number;
  text: string;
  /** The server's upload limit from X-Max-Upload-Bytes, when it said. */
  limit?: number;
}

// The server's upload limit as last announced, per V4H instance: a file known to be too big is refused before sending.
const announcedLimits = new WeakMap<HttpClient, number>();

const tooLarge = (size: number, limit: number) =>
  new V4HError('payload_too_large', `uploadRecording: the file (${size} bytes) exceeds the server's ${limit}-byte limit (V4H_MAX_UPLOAD_BYTES)`, 413);

function limitOf(header: string | null): number | undefined {
  return header && /^\d+$/.test(header) ? Number(header) : undefined;
}

/** GET /api/conferences/:sessionId/files (owner and participants), oldest first. */
/** POST /api/conferences/:sessionId/files/:fileId/share (owner). */
export async function shareFile(http: HttpClient, sessionId: string, fileId: string): Promise<StoredFile> {
  return http.request<StoredFile>('POST', `/api/conferences/${encodeURIComponent(sessionId)}/files/${encodeURIComponent(fileId)}/share`);
}

export async function listFiles(http: HttpClient, sessionId: string): Promise<StoredFile[]> {
  const answer = await http.request<FileList>('GET', `/api/conferences/${encodeURIComponent(sessionId)}/files`);
  return answer.items;
}

/** POST /api/conferences/:sessionId/files: sends the bytes as they are, retrying once after a 401 with a renewed token. */
export async function uploadFile(deps: UploadDeps, sessionId: string, body: UploadBody, options: UploadOptions = {}): Promise<StoredFile> {
  const blob = toBlob(body, options.contentType);
  const kind = options.kind ?? 'recording';
  if (kind !== 'recording' && kind !== 'attachment') throw invalidArgument("kind must be 'recording' or 'attachment'");
  const contentType = options.contentType ?? blob.type;
  if (!contentType) throw invalidArgument('contentType is required when the body has no type (e.g. an ArrayBuffer)');
  if (options.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(options.sha256)) throw invalidArgument('sha256 must be 64 lowercase hex digits');
  const name = options.name ?? (typeof (body as File).name === 'string' && (body as File).name ? (body as File).name : undefined);
  const query = new URLSearchParams({ kind, ...(name ? { name } : {}), ...(options.shared ? { shared: 'true' } : {}) });
  const url = deps.http.url(`/api/conferences/${encodeURIComponent(sessionId)}/files?${query}`);
  const headers: Record<string, string> = { 'content-type': contentType, accept: 'application/json' };
  if (options.sha256) headers['repr-digest'] = `sha-256=:${hexToBase64(options.sha256)}:`;

  const known = announcedLimits.get(deps.http);
  if (known !== undefined && blob.size > known) throw tooLarge(blob.size, known);
  const send = async (token: string) => {
    const withAuth = { ...headers, authorization: `Bearer ${token}` };
    const answer = await (typeof XMLHttpRequest === 'function' ? sendXhr(url, blob, withAuth, options) : sendFetch(deps.fetch, url, blob, withAuth, options));
    if (answer.limit !== undefined) announcedLimits.set(deps.http, answer.limit);
    return answer;
  };
  const token = await deps.tokens.accessToken();
  if (token === null) throw new V4HError('not_signed_in', 'uploadRecording: sign in first (login or loginWithToken)');
  let answer = await send(token);
  if (answer.status === 401 && deps.tokens.canRefresh()) answer = await send(await deps.tokens.refresh());
  if (answer.status === 413 && answer.limit !== undefined) throw tooLarge(blob.size, answer.limit);
  return parse(answer);
}

function toBlob(body: UploadBody, contentType: string | undefined): Blob {
  if (typeof Blob !== 'undefined' && body instanceof Blob) return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return new Blob([body as BlobPart], contentType ? { type: contentType } : undefined);
  throw invalidArgument('the file must be a Blob, File, ArrayBuffer or typed array');
}

/** Browsers: XMLHttpRequest is the one API that reports upload progress. */
function sendXhr(url: string, blob: Blob, headers: Record<string, string>, options: UploadOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (event) => options.onProgress?.({ loaded: event.loaded, total: event.lengthComputable ? event.total : blob.size });
    xhr.onload = () => {
      options.signal?.removeEventListener('abort', abort);
      resolve({ status: xhr.status, text: xhr.responseText, limit: limitOf(xhr.getResponseHeader('x-max-upload-bytes')) });
    };
    xhr.onerror = () => {
      options.signal?.removeEventListener('abort', abort);
      reject(new V4HError('network_error', `POST ${url} failed: network error`));
    };
    // The caller's abort reason is rethrown as given, as fetch does.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    xhr.onabort = () => reject(options.signal?.reason ?? new V4HError('network_error', `POST ${url} aborted`));
    const abort = () => xhr.abort();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the caller's abort reason, as fetch rethrows it
    if (options.signal?.aborted) return reject(options.signal.reason);
    options.signal?.addEventListener('abort', abort, { once: true });
    xhr.send(blob);
  });
}

const PROGRESS_CHUNK = 256 * 1024;

/** Node (and other fetch-only runtimes): progress counts the bytes handed to the request stream. */
async function sendFetch(fetchFn: FetchLike, url: string, blob: Blob, headers: Record<string, string>, options: UploadOptions): Promise<Answer> {
  let body: BodyInit = blob;
  // The length goes first (also for a streamed body), so the server can answer 413 before reading any of it.
  const init: RequestInit & { duplex?: 'half' } = { method: 'POST', headers: { ...headers, 'content-length': String(blob.size) }, signal: options.signal };
  if (options.onProgress) {
    // Read in slices so that progress is fine-grained and the file is never copied whole.
    let loaded = 0;
    body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (loaded >= blob.size) return controller.close();
        const chunk = new Uint8Array(await blob.slice(loaded, loaded + PROGRESS_CHUNK).arrayBuffer());
        loaded += chunk.byteLength;
        controller.enqueue(chunk);
        options.onProgress!({ loaded, total: blob.size });
      },
    });
    init.duplex = 'half';
  }
  try {
    const response = await fetchFn(url, { ...init, body });
    const limit = limitOf(response.headers.get('x-max-upload-bytes'));
    // An answer given before the body (413) may lose its own body when the connection is cut: the status is enough.
    const text = await response.text().catch((cause) => {
      if (response.status >= 400) return '';
      throw cause;
    });
    return { status: response.status, text, limit };
  } catch (cause) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new V4HError('network_error', `POST ${url} failed: ${(cause as Error)?.message ?? cause}`, 0, cause);
  }
}

function parse({ status, text }: Answer): StoredFile {
  let data: { error?: unknown; message?: unknown } | undefined;
  try {
    data = text ? (JSON.parse(text) as typeof data) : undefined;
  } catch {
    data = undefined;
  }
  if (status === 201 && data) return data as unknown as StoredFile;
  if (status >= 200 && status < 300) throw new V4HError('bad_response', 'uploadRecording: expected the stored file as JSON', status);
  const code =
    typeof data?.error === 'string'
      ? (data.error as V4HErrorCode)
      : status === 413
        ? 'payload_too_large'
        : status === 415
          ? 'unsupported_media_type'
          : 'internal_error';
  const message = typeof data?.message === 'string' ? data.message : `upload failed (HTTP ${status})`;
  throw new V4HError(code, `uploadRecording: ${message}`, status);
}

function hexToBase64(hex: string): string {
  let binary = '';
  for (let i = 0; i < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return btoa(binary);
}
