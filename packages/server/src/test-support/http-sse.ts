// Test helpers (the waiting room's tests): JSON calls over real HTTP and a Server-Sent Events reader.
import type { TestApp } from './test-app.js';

type Headers = Record<string, string>;

/** A JSON request; `body` is the parsed answer (null when empty). */
export async function call(t: TestApp, headers: Headers, method: string, path: string, body?: unknown) {
  const h: Headers = { ...headers };
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(`${t.baseUrl}${path}`, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Reads an SSE response; `events` fills as they arrive; `streams` collects the controllers to abort after the test. */
export async function openSse(t: TestApp, path: string, headers: Headers, streams: AbortController[]) {
  const controller = new AbortController();
  streams.push(controller);
  const res = await fetch(`${t.baseUrl}${path}`, { headers, signal: controller.signal });
  const events: { event: string; data: Record<string, any> }[] = [];
  if (res.status === 200) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      try {
        const reader = res.body!.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let cut;
          while ((cut = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const field = (name: string) => block.match(new RegExp(`^${name}: ?(.*)$`, 'm'))?.[1];
            const data = field('data');
            if (data) events.push({ event: field('event')!, data: JSON.parse(data) });
          }
        }
      } catch {
        // aborted
      }
    })();
  }
  return { res, events, close: () => controller.abort() };
}
