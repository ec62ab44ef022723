// The participants panel: everyone in the call with the account (or guest link) they came in with.
import type { PeerInfo } from '../protocol.js';
import { t } from './page-strings.js';
import { $, accountTag } from './view.js';

/** The panel, refreshed whenever someone joins, leaves or changes. */
export class PeoplePanel {
  readonly #panel = $('people');
  readonly #toggle = $<HTMLButtonElement>('people-toggle');
  readonly #list = $<HTMLOListElement>('people-list');

  constructor() {
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
      }
      return li;
    });
    this.#list.replaceChildren(...rows);
    this.#toggle.textContent = t.people.button(rows.length);
  }
}
