// Follows a conference's events from the server (SSE read with fetch, docs/api.md): sends the current access token,
// reconnects with backoff and Last-Event-ID, and stops for good on 403/404 or when told to.
import type { ConferenceEventType, PublicEvent } from '@v4h/protocol';
import type { FetchLike, TokenSource } from './http.js';

/** Calls `onEvent(type, event)` for each conference event from now on; returns the function that stops following. */
export function followConference(
  url: string,
  fetchFn: FetchLike,
  tokens: TokenSource,
  onEvent: (type: ConferenceEventType, event: PublicEvent) => void,
): () => void {
  const abort = new AbortController();
  let lastId = '';
  void (async () => {
    for (let delay = 1e3; !abort.signal.aborted; delay = Math.min(delay * 2, 3e4)) {
      try {
        const headers: Record<string, string> = { authorization: `Bearer ${await tokens.accessToken()}` };
        if (lastId) headers['last-event-id'] = lastId;
        const response = await fetchFn(url, { headers, signal: abort.signal });
        if (response.status === 403 || response.status === 404) return;
        // A token refused (revoked, or expired while the laptop slept): renew before the next attempt.
        if (response.status === 401) await tokens.refresh();
        const reader = response.ok && response.body?.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (let chunk; reader && !(chunk = await reader.read()).done; delay = 1e3) {
          const blocks = (buffer += decoder.decode(chunk.value, { stream: true })).split('\n\n');
          buffer = blocks.pop()!;
          for (const block of blocks) {
            const field = (name: string) => new RegExp(`^${name}: ?(.*)`, 'm').exec(block)?.[1];
            lastId = field('id') ?? lastId;
            const type = field('event');
            // Names and events are the wire's (@v4h/protocol); a name this SDK does not know yet passes through unheeded.
            if (type) onEvent(type as ConferenceEventType, JSON.parse(field('data') ?? 'null') as PublicEvent);
          }
        }
      } catch {
        // A drop, an outage or a refused renewal: try again after the delay.
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  })();
  return () => abort.abort();
}
