// The participants panel: everyone in the call with the account (or guest link) they came in with; the moderator
// removes people here (two clicks: removing is for good).
import type { PeerInfo } from '../protocol.js';
import { t } from './page-strings.js';
import { $, accountTag } from './view.js';

/** The panel, refreshed whenever someone joins, leaves or changes. */
export class PeoplePanel {
  readonly #panel = $('people');
  readonly #toggle = $<HTMLButtonElement>('people-toggle');
  readonly #list = $<HTMLOListElement>('people-list');

  constructor(readonly remove: (id: string) => void) {
    this.#toggle.hidden = false;
    this.#toggle.addEventListener('click', () => this.toggle());
    $('people-close').addEventListener('click', () => this.toggle(false));
  }

  toggle(open = this.#panel.hidden) {
    this.#panel.hidden = !open;
    this.#toggle.setAttribute('aria-pressed', String(open));
  }

  /** Lists us first, then the others in the order they came. */
  show(me: PeerInfo | undefined, others: PeerInfo[]) {
    const rows = [...(me ? [{ p: me, mine: true }] : []), ...others.map((p) => ({ p, mine: false }))].map(({ p, mine }) => {
      const li = document.createElement('li');
      li.dataset.participant = p.id;
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = mine ? t.youSuffix(p.displayName) : p.displayName;
      li.append(name, accountTag(p.account));
      if (p.moderator) {
        const role = document.createElement('span');
        role.className = 'role';
        role.textContent = t.people.moderator;
        li.append(role);
      } else if (me?.moderator && !mine) {
        li.append(this.#removeButton(p));
      }
      return li;
    });
    // A pending "Remove … for good?" survives a refresh (someone else joining must not cancel it).
    const confirming = this.#list.querySelector<HTMLElement>('li[data-confirming]')?.dataset.participant;
    this.#list.replaceChildren(...rows);
    if (confirming) this.#list.querySelector<HTMLElement>(`li[data-participant="${CSS.escape(confirming)}"] button.remove`)?.click();
    this.#toggle.textContent = t.people.button(rows.length);
  }

  #removeButton(p: PeerInfo): HTMLButtonElement {
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'remove';
    button.textContent = t.people.remove;
    button.addEventListener('click', () => {
      const li = button.closest('li')!;
      if (li.dataset.confirming === undefined) {
        li.dataset.confirming = '';
        button.classList.add('danger');
        button.textContent = t.people.confirmRemove(p.displayName);
        return;
      }
      button.disabled = true;
      this.remove(p.id);
    });
    return button;
  }
}
