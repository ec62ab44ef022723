// What a lazily loaded SDK feature gets from the V4H instance it serves: the HTTP client, the tokens, the event emitter
// and the call machinery. Features never reach into V4H's private fields; V4H builds this object for them.
import type { Call, Embed } from '../call.js';
import type { Emitter } from '../events.js';
import type { FetchLike, HttpClient } from '../http.js';
import type { JitsiEmbedOptions } from '../jitsi.js';
import type { TokenManager } from '../tokens.js';

export interface FeatureContext {
  http: HttpClient;
  tokens: TokenManager;
  fetch: FetchLike;
  /** The instance's emitter: a feature's events (declared in events.ts) reach `v4h.on(…)` listeners through it. */
  events: Emitter;
  /** The open call, or null. */
  call(): Call | null;
  /**
   * Embeds a call the server described (the Embed that start/join answer), as startConference does after its request:
   * leaves any other call, creates the IFrame API in `parentNode`, follows the conference's end. Resolves once the
   * iframe is there. Width and height as startConference takes them (default 640×480).
   */
  embed(
    embed: Embed,
    parentNode: Element,
    width?: number | string | null,
    height?: number | string | null,
    options?: JitsiEmbedOptions | null,
    avatarUrl?: string | null,
  ): Promise<'ok'>;
}
