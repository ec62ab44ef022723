// Recordings and attachments as V4H methods: argument checks, then the upload/list/share functions of files.ts.
import { checkSessionId, checkString } from '../checks.js';
import { listFiles as list, shareFile as share, uploadFile, type StoredFile, type UploadBody, type UploadOptions } from '../files.js';
import type { FeatureContext } from './context.js';

/**
 * Uploads a recording (owner) or, with `kind: 'attachment'`, a document (owner, participants), streamed,
 * with progress. Resolves with the stored file (its server-computed `sha256`, a signed `url`).
 * @example
 * const file = await v4h.uploadRecording(id, recordedBlob, { onProgress: ({ loaded, total }) => (bar.value = loaded / total) });
 */
export async function uploadRecording(ctx: FeatureContext, sessionId: string, file: UploadBody, options: UploadOptions = {}): Promise<StoredFile> {
  checkSessionId(sessionId);
  return uploadFile({ http: ctx.http, tokens: ctx.tokens, fetch: ctx.fetch }, sessionId, file, options);
}

/** Owner: lets the participants see a file (they see only their own uploads until then). */
export async function shareFile(ctx: FeatureContext, sessionId: string, fileId: string): Promise<StoredFile> {
  checkSessionId(sessionId);
  checkString(fileId, 'fileId');
  return share(ctx.http, sessionId, fileId);
}

/** The conference's recordings and attachments the caller may see, oldest first: the owner all, others their own and shared ones. */
export async function listFiles(ctx: FeatureContext, sessionId: string): Promise<StoredFile[]> {
  checkSessionId(sessionId);
  return list(ctx.http, sessionId);
}
