// The chat panel: messages to everyone or privately to one person, kept only in this page unless the owner saves them.
import { CHAT_MAX } from '../protocol.js';
import { t } from './page-strings.js';
import { $ } from './view.js';

interface Entry {
  at: Date;
  fromName: string;
  toName?: string;
  message: string;
  mine: boolean;
  private: boolean;
}

export interface ChatDeps {
  /** Relays a message (to one participant id, or everyone). */
  send(message: string, to?: string): void;
  save(transcript: string): void;
  name(id: string): string | undefined;
  /** The panel opened or closed, or the unread count changed (Jitsi's chatUpdated). */
  updated(state: { isOpen: boolean; unreadCount: number }): void;
}

/** The panel and the page's copy of the conversation. */
export class ChatPanel {
  readonly #entries: Entry[] = [];
  readonly #panel = $('chat');
  readonly #toggle = $<HTMLButtonElement>('chat-toggle');
  readonly #to = $<HTMLSelectElement>('chat-to');
  readonly #input = $<HTMLInputElement>('chat-input');
  #unread = 0;

  constructor(readonly deps: ChatDeps) {
    this.#toggle.hidden = false;
    this.#toggle.addEventListener('click', () => this.toggle());
    $('chat-close').addEventListener('click', () => this.toggle(false));
    $('chat-form').addEventListener('submit', (e) => {
      e.preventDefault();
      if (this.sendFromPage(this.#input.value, this.#to.value || undefined)) this.#input.value = '';
    });
    $('chat-save').addEventListener('click', () => this.deps.save(this.transcript()));
  }

  get isOpen() {
    return !this.#panel.hidden;
  }

  toggle(open = !this.isOpen) {
    this.#panel.hidden = !open;
    this.#toggle.setAttribute('aria-pressed', String(open));
    if (open) {
      this.#unread = 0;
      this.#input.focus();
    }
    this.#badge();
  }

  /** Sends and shows a message; false when there is nothing to send. */
  sendFromPage(text: string, to?: string): boolean {
    const message = text.trim().slice(0, CHAT_MAX);
    if (!message) return false;
    const toName = to ? this.deps.name(to) : undefined;
    if (to && toName === undefined) return false;
    this.deps.send(message, to);
    this.#add({ at: new Date(), fromName: t.you, toName, message, mine: true, private: !!to });
    return true;
  }

  received(fromName: string, message: string, isPrivate: boolean) {
    this.#add({ at: new Date(), fromName, message, mine: false, private: isPrivate });
    if (!this.isOpen) this.#unread++;
    this.#badge();
  }

  /** The people one can write to privately. */
  setRecipients(people: Array<{ id: string; displayName: string }>) {
    const chosen = this.#to.value;
    this.#to.replaceChildren(new Option(t.chatPanel.everyone, ''), ...people.map((p) => new Option(p.displayName, p.id)));
    this.#to.value = people.some((p) => p.id === chosen) ? chosen : '';
  }

  /** The owner sees "Save chat"; the server checks it is the owner. */
  allowSaving(allowed: boolean) {
    $('chat-save').hidden = !allowed;
  }

  saveStatus(text: string) {
    $('chat-save-status').textContent = text;
  }

  /** Plain text, one line per message, ISO times (UTC). */
  transcript(): string {
    return this.#entries
      .map(
        (e) =>
          `[${e.at.toISOString()}] ${e.fromName}${e.private ? ` (${e.toName ? t.chatPanel.privateTo(e.toName) : t.chatPanel.privateFrom})` : ''}: ${e.message.replace(/\r?\n/g, ' ')}`,
      )
      .join('\n')
      .concat('\n');
  }

  #add(e: Entry) {
    this.#entries.push(e);
    const li = document.createElement('li');
    li.className = e.mine ? 'mine' : '';
    const from = document.createElement('span');
    from.className = 'from';
    from.textContent = `${e.fromName}${e.private ? ` · ${e.toName ? t.chatPanel.privateTo(e.toName) : t.chatPanel.privateFrom}` : ''}`;
    const body = document.createElement('span');
    body.textContent = e.message;
    li.append(from, body);
    const log = $('chat-log');
    log.append(li);
    log.scrollTop = log.scrollHeight;
  }

  #badge() {
    const badge = $('chat-unread');
    badge.hidden = this.#unread === 0;
    badge.setAttribute('aria-label', String(this.#unread));
    this.deps.updated({ isOpen: this.isOpen, unreadCount: this.#unread });
  }
}
