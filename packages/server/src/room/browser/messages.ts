// The page ↔ parent postMessage protocol of the built-in room (our own, not Jitsi's); both ends check origins.

/** Marks our messages among whatever else a page receives. */
export const MESSAGE_TAG = 'v4h-room/1';

/** From the meeting page to the embedding page. */
export interface PageToParent {
  tag: typeof MESSAGE_TAG;
  apiId: number;
  kind: 'ready' | 'event' | 'response';
  name?: string;
  data?: Record<string, unknown>;
  /** For `response`: the request it answers, and its result or error message. */
  id?: number;
  result?: unknown;
  error?: string;
}

/** From the embedding page to the meeting page. */
export interface ParentToPage {
  tag: typeof MESSAGE_TAG;
  apiId: number;
  /** `command`: fire and forget (executeCommand); `request`: answered by a `response` with the same id (getters). */
  kind: 'command' | 'request';
  name: string;
  args: unknown[];
  id?: number;
}

/** Hash parameters the IFrame API passes to the page (values JSON-encoded, as Jitsi does). */
export const HASH = {
  apiId: 'v4h.apiId',
  parentOrigin: 'v4h.parentOrigin',
  jwt: 'jwt',
  displayName: 'userInfo.displayName',
  startWithAudioMuted: 'config.startWithAudioMuted',
  startWithVideoMuted: 'config.startWithVideoMuted',
} as const;

/** Parses `a=1&b="x"` (a URL fragment) into values, JSON-decoding where possible. */
export function parseHashParams(hash: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const raw = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON (e.g. a bare token): keep the text.
    }
    out.set(key, value);
  }
  return out;
}
