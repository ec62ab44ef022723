// The meeting page's WebSocket to the V4H server: joins, relays, and reconnects (resuming within the grace period).
import type { ClientMessage, ServerMessage } from '../protocol.js';

/** Close codes after which reconnecting makes no sense (see service.ts CLOSE). */
const FINAL_CODES = new Set([1000, 4400, 4403, 4409, 4410]);

/** Callbacks of the signaling connection. */
export interface SignalingHandlers {
  message(msg: ServerMessage): void;
  /** The connection dropped and is being retried. */
  reconnecting(): void;
}

/** One participant's signaling connection; `join()` builds the join (or resume) message sent on every (re)connect. */
export class Signaling {
  #socket: WebSocket | undefined;
  #stopped = false;
  #attempt = 0;

  constructor(
    readonly url: string,
    readonly join: () => ClientMessage,
    readonly handlers: SignalingHandlers,
  ) {}

  start() {
    if (this.#stopped) return;
    const socket = new WebSocket(this.url);
    this.#socket = socket;
    socket.onopen = () => {
      performance.mark?.('v4h:ws-open');
      socket.send(JSON.stringify(this.join()));
    };
    socket.onmessage = (event) => {
      let msg: ServerMessage;
      try {
        msg = JSON.parse(String(event.data)) as ServerMessage;
      } catch {
        return;
      }
      // A restarting server comes back within seconds: retry quickly rather than after a grown back-off.
      if (msg.type === 'joined' || msg.type === 'restarting') this.#attempt = 0;
      this.handlers.message(msg);
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket || this.#stopped) return;
      if (FINAL_CODES.has(event.code)) return this.stop();
      this.handlers.reconnecting();
      const delay = Math.min(5000, 250 * 2 ** this.#attempt++);
      setTimeout(() => this.start(), delay);
    };
  }

  send(msg: ClientMessage) {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(msg));
  }

  stop() {
    this.#stopped = true;
    const socket = this.#socket;
    if (socket && socket.readyState <= WebSocket.OPEN) socket.close(1000);
  }
}
