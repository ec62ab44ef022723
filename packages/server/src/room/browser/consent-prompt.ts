// The consent question the room draws when a recording consent request arrives, and the "recording" mark everyone sees.
import { $ } from './view.js';

/** A request as the API shows it: the exact text, in this page's language where the owner gave one. */
export interface ConsentAsk {
  requestId: string;
  purpose: string;
  text: string;
  /** The language of `text` (the answer names it: the record holds the hash of exactly what was shown). */
  locale: string;
}

/** Asks one request at a time (a newer one replaces an unanswered older one); `answer` sends it, rejecting on failure. */
export class ConsentPrompt {
  readonly #root = $('consent');
  #current: ConsentAsk | undefined;
  #sending = false;

  constructor(answer: (ask: ConsentAsk, accepted: boolean) => Promise<void>) {
    const reply = async (accepted: boolean) => {
      const ask = this.#current;
      if (!ask || this.#sending) return;
      this.#sending = true;
      $('consent-error').hidden = true;
      try {
        await answer(ask, accepted);
        if (this.#current === ask) this.hide();
      } catch {
        $('consent-error').hidden = false;
      } finally {
        this.#sending = false;
      }
    };
    $('consent-accept').addEventListener('click', () => void reply(true));
    $('consent-decline').addEventListener('click', () => void reply(false));
  }

  get asking(): string | undefined {
    return this.#current?.requestId;
  }

  ask(ask: ConsentAsk) {
    if (this.#current?.requestId === ask.requestId) return;
    this.#current = ask;
    $('consent-text').textContent = ask.text;
    $('consent-error').hidden = true;
    this.#root.hidden = false;
    $<HTMLButtonElement>('consent-accept').focus();
  }

  /** Closes the question (answered here, or elsewhere: another tab, the SDK). */
  hide(requestId?: string) {
    if (requestId !== undefined && this.#current?.requestId !== requestId) return;
    this.#current = undefined;
    this.#root.hidden = true;
  }
}

/** Shows or hides the mark that the call is being recorded. */
export function showRecording(on: boolean) {
  $('recording-indicator').hidden = !on;
}
