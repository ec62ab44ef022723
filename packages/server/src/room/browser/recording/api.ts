// The meeting page's calls to the V4H API (same origin), with an access token the room server hands the owner's page.
import { UploadRefused } from './chunk-uploader.js';

/** A V4H API error answer: `{ error, message }` and the rest of its body (e.g. who has not consented). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** A stored file as the API answers it (storage's StoredFile). */
export type StoredFileAnswer = Record<string, unknown> & { fileId: string; sha256: string; url?: string };

/** Calls /api/conferences/:sessionId/… with a bearer token from `token()` (renewed through `token(true)` on a 401). */
export class RoomApi {
  constructor(
    readonly sessionId: string,
    readonly token: (renew?: boolean) => Promise<string>,
  ) {}

  #url(path: string) {
    return `/api/conferences/${encodeURIComponent(this.sessionId)}${path}`;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const send = async (renew: boolean) =>
      fetch(this.#url(path), {
        method,
        headers: { authorization: `Bearer ${await this.token(renew)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let response = await send(false);
    if (response.status === 401) response = await send(true);
    return answer<T>(response);
  }

  /** PUTs one chunk of a recording; a 4xx other than 408/429 is an UploadRefused (not retried). */
  async putChunk(recordingId: string, index: number, body: Blob): Promise<void> {
    const send = async (renew: boolean) =>
      fetch(this.#url(`/recordings/${encodeURIComponent(recordingId)}/chunks/${index}`), {
        method: 'PUT',
        headers: { authorization: `Bearer ${await this.token(renew)}`, 'content-type': 'application/octet-stream' },
        body,
      });
    let response = await send(false);
    if (response.status === 401) response = await send(true);
    if (response.ok) return;
    const failed = await answer(response).catch((e: ApiError) => e);
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
      throw new UploadRefused(response.status, (failed as ApiError).code, (failed as ApiError).message);
    }
    throw failed;
  }
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return body as T;
  const code = typeof body.error === 'string' ? body.error : 'http_error';
  throw new ApiError(response.status, code, typeof body.message === 'string' ? body.message : `HTTP ${response.status}`, body);
}
