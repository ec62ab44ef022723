// Demo page logic: drives the global V4H (loaded from /v4h.js) the way an integrator's page would.
// The global V4H is typed by src/global.ts (for integrators: /// <reference types="@v4h/client/global" />).
import type { ConferenceDetails } from '../src/index.js';
import { LANGUAGES, pickLanguage } from './lang/index.js';
import { applyStrings, setRich } from './page-text.js';

// ?lang= wins, then the browser's languages; every word on the page comes from t.
const language = pickLanguage(new URLSearchParams(location.search).get('lang'), navigator.languages ?? [navigator.language]);
const t = LANGUAGES[language];
applyStrings(t, language);

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const input = (id: string) => $<HTMLInputElement>(id).value.trim();
const v4h = new V4H({ tokenStore: 'session' });
const DETAIL_FIELDS: Array<keyof ConferenceDetails> = ['sessionId', 'owner', 'created', 'ended', 'state', 'urlStorage', 'hash', 'hashType', 'DLTId', 'DLTType'];

function say(message: string, error = false): void {
  const status = $('status');
  setRich(status, message);
  status.classList.toggle('error', error);
  delete status.dataset.message;
}

/** A failure in the page's language with the SDK's code beside it; the SDK's English message stays in data-message for developers. */
function sayError(error: unknown): void {
  // A server newer than this page may answer a code the table lacks: the code alone still tells what happened.
  const sentence = (code: string) => (t.errors as Record<string, string | undefined>)[code] ?? t.unexpectedError;
  say(V4H.isV4HError(error) ? `${sentence(error.code)} (${error.code})` : t.unexpectedError, true);
  $('status').dataset.message = error instanceof Error ? error.message : String(error);
}

/** Runs an action with its button disabled, showing failures through sayError. */
async function act(button: HTMLButtonElement | null, action: () => Promise<unknown>): Promise<void> {
  if (button) button.disabled = true;
  try {
    await action();
  } catch (error) {
    sayError(error);
  } finally {
    if (button) button.disabled = false;
  }
}

function show(section: string, visible: boolean): void {
  $(section).hidden = !visible;
}

function signedIn(username: string): void {
  show('signin', false);
  show('conference', true);
  $('signed-in').textContent = t.conference.signedInAs(username);
  if (!input('display-name')) $<HTMLInputElement>('display-name').value = username;
}

function sessionId(): string {
  return input('session-id');
}

// The session id survives a reload of the page (the tokens do too, in sessionStorage), until sign-out.
const SESSION_KEY = 'v4h.demo.sessionId';
function rememberSession(id: string): void {
  $<HTMLInputElement>('session-id').value = id;
  localStorage.setItem(SESSION_KEY, id);
}

async function showDetails(id = sessionId()): Promise<void> {
  if (!id) return;
  const details = await v4h.getConference(id);
  const list = $('details-list');
  list.replaceChildren(
    ...DETAIL_FIELDS.flatMap((field) => {
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      // The field's name in getConference's answer stays beside its label: the demo shows integrators the API.
      const name = document.createElement('code');
      name.textContent = field;
      dt.append(`${t.details.fields[field]} `, name);
      dd.textContent = details[field] ?? '—';
      dd.dataset.field = field;
      return [dt, dd];
    }),
  );
  show('details', true);
}

async function open(kind: 'start' | 'join'): Promise<void> {
  const id = sessionId();
  show('ended', false);
  show('call-section', true);
  // On a phone the call opens below the forms, a screen or more down: bring it into view. At once, not smoothly:
  // the status line above changes height as the call starts, and a smooth scroll's fixed target then overshoots,
  // while after an instant one the browser's scroll anchoring keeps the call in place.
  $('call-section').scrollIntoView({ block: 'start' });
  const avatar = input('avatar-url') || undefined;
  const method = kind === 'start' ? 'startConference' : 'joinConference';
  try {
    await v4h[method](id, $('call'), '100%', Math.max(240, Math.round(window.innerHeight * 0.6)), input('display-name'), avatar, { lang: language });
  } catch (error) {
    show('call-section', false);
    throw error;
  }
  rememberSession(id);
  say(kind === 'start' ? t.status.started(id) : t.status.joined(id));
  await showDetails(id).catch(() => {});
}

v4h.registerEndedListener((id) => {
  show('call-section', false);
  show('ended', true);
  $('ended-id').textContent = id;
  say(t.status.callEnded(id));
  void showDetails(id).catch(() => {});
});
v4h.on('joined', ({ sessionId: id }) => say(t.status.inCall(id)));
v4h.on('authExpired', () => {
  show('conference', false);
  show('signin', true);
  say(t.status.sessionExpired, true);
});

$<HTMLFormElement>('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const button = (event.target as HTMLFormElement).querySelector('button');
  void act(button, async () => {
    await v4h.login(input('username'), $<HTMLInputElement>('password').value);
    $<HTMLInputElement>('password').value = '';
    sessionStorage.setItem('v4h.demo.username', input('username'));
    signedIn(input('username'));
    say(t.status.signedIn);
  });
});

$('request').addEventListener(
  'click',
  (event) =>
    void act(event.currentTarget as HTMLButtonElement, async () => {
      const id = await v4h.requestConference(sessionId() || undefined);
      rememberSession(id);
      say(t.status.requested(id));
      await showDetails(id);
    }),
);
$('start').addEventListener('click', (event) => void act(event.currentTarget as HTMLButtonElement, () => open('start')));
$('join').addEventListener('click', (event) => void act(event.currentTarget as HTMLButtonElement, () => open('join')));
$('leave').addEventListener('click', (event) => void act(event.currentTarget as HTMLButtonElement, () => v4h.leaveConference()));
$('end').addEventListener('click', (event) => void act(event.currentTarget as HTMLButtonElement, () => v4h.endConference()));
$('refresh-details').addEventListener('click', (event) => void act(event.currentTarget as HTMLButtonElement, () => showDetails()));
$('logout').addEventListener(
  'click',
  (event) =>
    void act(event.currentTarget as HTMLButtonElement, async () => {
      await v4h.logout();
      localStorage.removeItem(SESSION_KEY);
      $<HTMLInputElement>('session-id').value = '';
      show('conference', false);
      show('details', false);
      show('signin', true);
      say(t.status.signedOut);
    }),
);
$<HTMLFormElement>('guest-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void act((event.target as HTMLFormElement).querySelector('button'), async () => {
    const { url } = await v4h.getGuestUrl(sessionId(), input('guest-name'), undefined);
    $<HTMLInputElement>('guest-url').value = url;
    // The clipboard needs a secure context and focus; the link stays selectable in the field either way.
    const copied = await navigator.clipboard?.writeText(url).then(
      () => true,
      () => false,
    );
    say(copied ? t.status.guestCopied : t.status.guestReady);
  });
});

// The SDK keeps tokens in sessionStorage ('session' store): after a reload of the tab, renewing them both checks
// the session with the server and tells whether there is one.
v4h.refreshToken().then(
  () => {
    signedIn(sessionStorage.getItem('v4h.demo.username') ?? t.conference.someone);
    const remembered = localStorage.getItem(SESSION_KEY);
    if (remembered && !sessionId()) $<HTMLInputElement>('session-id').value = remembered;
  },
  () => {},
);
