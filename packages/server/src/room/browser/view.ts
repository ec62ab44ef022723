// The meeting page's DOM: tiles (video, name, avatar, mute mark), the status line, the refused panel, the buttons.
import type { PeerAccount, PeerInfo } from '../protocol.js';
import { t } from './page-strings.js';
import type { QualityState } from '../quality.js';

/** What the page shows; `data-state` on <main> carries it for styles and tests. */
export type PageState = 'connecting' | 'waiting' | 'in-call' | 'reconnecting' | 'refused' | 'left' | 'ended';

export const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const STATUS: Record<PageState, string> = {
  connecting: t.status.connecting,
  waiting: t.status.waiting,
  'in-call': '',
  reconnecting: t.status.reconnecting,
  refused: '',
  left: t.status.left,
  ended: t.status.ended,
};

/** The mark beside a name: the account's username, or "Guest" (who really came in, whatever the name says). */
export function accountTag(account: PeerAccount | undefined): HTMLElement {
  const tag = document.createElement('span');
  tag.className = account?.kind === 'guest' ? 'account guest' : 'account';
  tag.textContent = account ? (account.kind === 'guest' ? t.guestMark : account.username) : '';
  tag.title = account ? t.accountTitle(account.kind === 'guest' ? null : account.username) : '';
  tag.hidden = !account;
  return tag;
}

function initials(name: string) {
  return (
    name
      .split(/\s+/)
      .filter(Boolean)
      .slice(0, 2)
      .map((w) => w[0].toUpperCase())
      .join('') || '?'
  );
}

/** What a tile shows; `account` is absent on our own preview before the server has answered. */
export type TileInfo = Pick<PeerInfo, 'displayName' | 'avatar' | 'audioMuted' | 'videoMuted'> & { connected?: boolean; account?: PeerAccount };

/** One participant's tile. */
class Tile {
  readonly root = document.createElement('figure');
  readonly video = document.createElement('video');
  readonly #avatar = document.createElement('div');
  readonly #name = document.createElement('span');
  #account = accountTag(undefined);
  readonly #mic = document.createElement('span');
  readonly quality = document.createElement('span');

  constructor(local: boolean) {
    this.root.className = local ? 'tile local' : 'tile';
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.muted = local;
    this.#avatar.className = 'avatar';
    this.#avatar.setAttribute('aria-hidden', 'true');
    const caption = document.createElement('figcaption');
    this.#name.className = 'name';
    this.#mic.className = 'mic-off';
    this.#mic.textContent = t.mutedMark;
    this.quality.className = 'quality';
    this.quality.hidden = true;
    caption.append(this.quality, this.#name, this.#account, this.#mic);
    this.root.append(this.video, this.#avatar, caption);
  }

  update(p: TileInfo, label: string) {
    this.#name.textContent = label;
    const tag = accountTag(p.account);
    this.#account.replaceWith(tag);
    this.#account = tag;
    this.root.setAttribute(
      'aria-label',
      t.tileLabel(label, p.account ? t.accountTitle(p.account.kind === 'guest' ? null : p.account.username) : '', p.audioMuted, p.videoMuted),
    );
    this.#mic.hidden = !p.audioMuted;
    this.root.classList.toggle('video-off', p.videoMuted);
    this.root.classList.toggle('interrupted', p.connected === false);
    this.#avatar.replaceChildren();
    if (p.avatar) {
      const img = document.createElement('img');
      img.alt = '';
      img.src = p.avatar;
      img.referrerPolicy = 'no-referrer';
      this.#avatar.append(img);
    } else {
      this.#avatar.textContent = initials(p.displayName);
    }
  }
}

/** The page's elements and their states; no call logic. */
export class MeetingView {
  readonly #stage = $('stage');
  readonly #tiles = new Map<string, Tile>();
  readonly mic = $<HTMLButtonElement>('mic');
  readonly cam = $<HTMLButtonElement>('cam');
  readonly hangup = $<HTMLButtonElement>('hangup');
  readonly share = $<HTMLButtonElement>('share');
  readonly tileView = $<HTMLButtonElement>('tile-view');
  readonly muteEveryone = $<HTMLButtonElement>('mute-everyone');
  #speaker: string | undefined;
  #tileViewOn = true;
  /** Buttons enabled only while in the call. */
  readonly #callButtons = [
    this.mic,
    this.cam,
    this.hangup,
    $<HTMLButtonElement>('share'),
    $<HTMLButtonElement>('chat-toggle'),
    $<HTMLButtonElement>('devices-toggle'),
    this.tileView,
    this.muteEveryone,
    $<HTMLButtonElement>('people-toggle'),
    $<HTMLButtonElement>('record'),
  ];

  setState(state: PageState) {
    $('meeting').dataset.state = state;
    $('status').textContent = STATUS[state];
    const active = state === 'waiting' || state === 'in-call' || state === 'reconnecting';
    for (const b of this.#callButtons) b.disabled = !active;
    if (!active) for (const id of [...this.#tiles.keys()]) this.removeTile(id);
  }

  showRefused(title: string, message: string) {
    $('refused-title').textContent = title;
    $('refused-message').textContent = message;
    $('refused-message').hidden = !message;
    $('refused').hidden = false;
    this.setState('refused');
  }

  /** Adds or updates a tile; `local` is our own preview. */
  tile(id: string, p: TileInfo, local = false): HTMLVideoElement {
    let tile = this.#tiles.get(id);
    if (!tile) {
      tile = new Tile(local);
      tile.root.dataset.participant = id;
      this.#tiles.set(id, tile);
      this.#stage.append(tile.root);
      this.#stage.dataset.count = String(this.#tiles.size);
      this.#layout();
    }
    tile.update(p, local ? t.youSuffix(p.displayName) : p.displayName);
    return tile.video;
  }

  /** The remote tiles' video elements (their audio plays through them). */
  remoteVideos(): HTMLVideoElement[] {
    return [...this.#tiles.entries()].filter(([id]) => id !== 'local').map(([, tile]) => tile.video);
  }

  /** A tile's video element (`local`: our own preview). */
  videoOf(id: string): HTMLVideoElement | undefined {
    return this.#tiles.get(id)?.video;
  }

  attach(id: string, stream: MediaStream) {
    const video = this.#tiles.get(id)?.video;
    if (video && video.srcObject !== stream) {
      video.srcObject = stream;
      video.play().catch(() => {});
    }
  }

  /** The connection indicator of a tile (hidden when undefined: not measured yet). */
  setQuality(id: string, state: QualityState | undefined) {
    const q = this.#tiles.get(id)?.quality;
    if (!q) return;
    q.hidden = state === undefined;
    if (state === undefined) return void delete q.dataset.state;
    q.dataset.state = state;
    q.title = t.quality[state];
    q.setAttribute('role', 'img');
    q.setAttribute('aria-label', t.quality[state]);
  }

  removeTile(id: string) {
    this.#tiles.get(id)?.root.remove();
    this.#tiles.delete(id);
    this.#stage.dataset.count = String(this.#tiles.size);
    this.#layout();
  }

  /** Tiles that show a shared screen take the stage. */
  setPresenters(ids: string[]) {
    this.#stage.classList.toggle('presenting', ids.length > 0);
    for (const [id, tile] of this.#tiles) tile.root.classList.toggle('screen', ids.includes(id));
    const share = $<HTMLButtonElement>('share');
    const mine = ids.includes('local');
    share.setAttribute('aria-pressed', String(mine));
    share.textContent = mine ? t.stopSharing : t.shareScreen;
  }

  /** Marks the dominant speaker's tile; with tile view off, that person (else the first other) is shown large. */
  setSpeaker(id: string | undefined) {
    this.#speaker = id;
    for (const [tileId, tile] of this.#tiles) tile.root.classList.toggle('speaking', tileId === id && this.#tiles.size > 1);
    this.#layout();
  }

  setTileView(on: boolean) {
    this.#tileViewOn = on;
    this.tileView.setAttribute('aria-pressed', String(on));
    this.#layout();
  }

  get tileViewOn(): boolean {
    return this.#tileViewOn;
  }

  setSubject(subject: string) {
    $('subject').hidden = !subject;
    $('subject-text').textContent = subject;
    document.title = subject ? `${subject} · ${t.pageTitle}` : t.pageTitle;
  }

  /** Tile view off: one remote person large (the speaker, else the first), the others in a strip below. */
  #layout() {
    const remote = [...this.#tiles.keys()].filter((id) => id !== 'local');
    const large = this.#tileViewOn ? undefined : this.#speaker && this.#speaker !== 'local' && this.#tiles.has(this.#speaker) ? this.#speaker : remote[0];
    this.#stage.classList.toggle('tile-view-off', large !== undefined);
    for (const [id, tile] of this.#tiles) tile.root.classList.toggle('on-stage', id === large);
  }

  /** A passing message in the status line (e.g. a moderator muted you). */
  notify(text: string) {
    const status = $('status');
    status.textContent = text;
    clearTimeout(this.#notifyTimer);
    this.#notifyTimer = setTimeout(() => status.textContent === text && (status.textContent = ''), 4000);
  }

  #notifyTimer: ReturnType<typeof setTimeout> | undefined;

  setToggles(audioMuted: boolean, videoMuted: boolean) {
    this.mic.setAttribute('aria-pressed', String(audioMuted));
    this.mic.textContent = audioMuted ? t.unmute : t.mute;
    this.cam.setAttribute('aria-pressed', String(videoMuted));
    this.cam.textContent = videoMuted ? t.startCamera : t.stopCamera;
  }
}
