// A stand-in V4H client for jsdom tests: counts opens and leaves, puts an iframe in the node like the SDK does.
import type { ConferenceDetails, JitsiMeetExternalAPI, V4HEventName, V4HEvents } from '@v4h/client';
import type { V4HClient } from './context.js';

export class FakeClient {
  starts: string[] = [];
  joins: string[] = [];
  leaves = 0;
  reads = 0;
  current: { sessionId: string; api: JitsiMeetExternalAPI; iframe: HTMLIFrameElement } | null = null;
  details: ConferenceDetails;
  /** When set, opening waits for this promise (to unmount mid-open). */
  gate: Promise<void> | null = null;
  failWith: Error | null = null;
  readonly #listeners = new Map<string, Set<(p: never) => void>>();

  constructor(sessionId = 's1') {
    this.details = {
      sessionId,
      owner: 'dr.ana',
      created: '2026-01-01T09:00:00Z',
      ended: null,
      state: 'requested',
      urlStorage: null,
      hash: null,
      hashType: null,
      DLTId: null,
      DLTType: null,
    };
  }

  get jApi(): JitsiMeetExternalAPI | null {
    return this.current?.api ?? null;
  }

  startConference = (sessionId: string, node: Element) => this.#open('start', sessionId, node);
  joinConference = (sessionId: string, node: Element) => this.#open('join', sessionId, node);

  async #open(mode: 'start' | 'join', sessionId: string, node: Element): Promise<'ok'> {
    (mode === 'start' ? this.starts : this.joins).push(sessionId);
    if (this.gate) await this.gate;
    await Promise.resolve();
    if (this.failWith) throw this.failWith;
    this.#end(); // the SDK holds one call: a new one replaces the old
    const iframe = document.createElement('iframe');
    node.appendChild(iframe);
    this.current = { sessionId, api: { getIFrame: () => iframe } as unknown as JitsiMeetExternalAPI, iframe };
    return 'ok';
  }

  leaveConference = async (): Promise<'ok'> => {
    if (this.current) this.leaves++;
    this.#end();
    return 'ok';
  };

  #end() {
    this.current?.iframe.remove();
    this.current = null;
  }

  getConference = async (sessionId: string): Promise<ConferenceDetails> => {
    this.reads++;
    return { ...this.details, sessionId };
  };

  on = (event: V4HEventName, listener: (p: never) => void) => {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return this as unknown as V4HClient;
  };

  off = (event: V4HEventName, listener: (p: never) => void) => {
    this.#listeners.get(event)?.delete(listener);
    return this as unknown as V4HClient;
  };

  emit<E extends V4HEventName>(event: E, payload: V4HEvents[E]) {
    for (const listener of [...(this.#listeners.get(event) ?? [])]) (listener as (p: V4HEvents[E]) => void)(payload);
  }

  listenerCount(event: V4HEventName) {
    return this.#listeners.get(event)?.size ?? 0;
  }

  get client(): V4HClient {
    return this as unknown as V4HClient;
  }
}
