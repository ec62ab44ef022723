// The meeting page's side of the postMessage protocol with the page that embeds it (external_api.js).
import { MESSAGE_TAG, type PageToParent, type ParentToPage, type RoomEvents } from './messages.js';

/** Events to and commands from the embedding page (a no-op when the page is not embedded through external_api.js). */
export interface ParentChannel {
  emit<K extends keyof RoomEvents>(name: K, data: RoomEvents[K]): void;
  onCommand(handler: (name: string, args: unknown[]) => void): void;
  /** Answers the embedding page's requests (getAvailableDevices, isAudioMuted, …). */
  onRequest(handler: (name: string, args: unknown[]) => Promise<unknown>): void;
}

/**
 * Talks to the embedding page only if it is the origin it claimed (cross-checked with ancestorOrigins where the
 * browser has it): events are posted to that origin only, commands accepted from that window and origin only.
 */
export function connectParent(apiId: unknown, claimedOrigin: unknown): ParentChannel {
  const ancestor = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins?.[0];
  const origin = typeof claimedOrigin === 'string' ? claimedOrigin : undefined;
  const embedded = window.parent !== window && typeof apiId === 'number' && !!origin && (ancestor === undefined || ancestor === origin);
  if (!embedded) return { emit: () => {}, onCommand: () => {}, onRequest: () => {} };
  const post = (msg: Omit<PageToParent, 'tag' | 'apiId'>) => window.parent.postMessage({ tag: MESSAGE_TAG, apiId, ...msg }, origin);
  let handler: (name: string, args: unknown[]) => void = () => {};
  let requests: (name: string, args: unknown[]) => Promise<unknown> = async (name) => {
    throw new Error(`Not supported request ${name}`);
  };
  window.addEventListener('message', (event) => {
    if (event.source !== window.parent || event.origin !== origin) return;
    const msg = event.data as ParentToPage;
    if (!msg || msg.tag !== MESSAGE_TAG || msg.apiId !== apiId || typeof msg.name !== 'string') return;
    const args = Array.isArray(msg.args) ? msg.args : [];
    if (msg.kind === 'command') return handler(msg.name, args);
    if (msg.kind !== 'request' || typeof msg.id !== 'number') return;
    const id = msg.id;
    requests(msg.name, args).then(
      (result) => post({ kind: 'response', id, result }),
      (error) => post({ kind: 'response', id, error: String((error as Error)?.message ?? error) }),
    );
  });
  post({ kind: 'ready' });
  return {
    emit: (name, data) => post({ kind: 'event', name, data }),
    onCommand: (h) => (handler = h),
    onRequest: (h) => (requests = h),
  };
}
