// Which content types each kind of file may have, and how a stored type is served.

export type FileKind = 'recording' | 'attachment';

const ALLOWED: Record<FileKind, ReadonlySet<string>> = {
  recording: new Set(['video/webm', 'video/mp4', 'audio/webm', 'audio/ogg', 'audio/mpeg', 'audio/mp4', 'audio/wav', 'audio/x-wav', 'audio/wave']),
  attachment: new Set(['application/pdf', 'image/png', 'image/jpeg', 'image/webp', 'image/gif', 'text/plain']),
};

/** The lowercase `type/subtype` of a Content-Type header, without parameters (`video/webm;codecs=vp8` → `video/webm`). */
export function baseMediaType(header: string | undefined): string | undefined {
  const base = header?.split(';')[0]?.trim().toLowerCase();
  return base && /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(base) ? base : undefined;
}

export function isAllowed(kind: FileKind, mediaType: string): boolean {
  return ALLOWED[kind].has(mediaType);
}

export function allowedTypes(kind: FileKind): string[] {
  return [...ALLOWED[kind]];
}

/** Media a browser plays or shows inline; everything else is offered as a download. */
export function isInline(mediaType: string): boolean {
  return /^(video|audio|image)\//.test(mediaType);
}

const EXTENSIONS: Record<string, string> = {
  'video/webm': 'webm',
  'video/mp4': 'mp4',
  'audio/webm': 'weba',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'application/pdf': 'pdf',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'text/plain': 'txt',
};

/** A name for an upload that came without one. */
export function defaultName(kind: FileKind, mediaType: string, fileId: string): string {
  return `${kind}-${fileId.slice(0, 8)}.${EXTENSIONS[mediaType] ?? 'bin'}`;
}
