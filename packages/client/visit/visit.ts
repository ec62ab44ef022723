// The guest page (/visit/#<guest token>): a patient confirms their name, waits to be let in while the pre-call check
// runs, and joins the call in this page, through the global V4H of /v4h.js as an integrator's page would.
import type { PrecheckReport } from '../src/features/precheck.js';
import { classifyPrecheck } from '../src/precheck/classify.js';
import { LANGUAGES, pickLanguage, type Strings } from './lang/index.js';

type VisitState = 'new' | 'waiting' | 'admitted' | 'denied' | 'ended';

/** How often a denied guest's page asks whether it may knock again. */
const ALLOW_AGAIN_POLL_MS = 3000;
type EndKind = keyof Omit<Strings['end'], 'back' | 'reason' | 'opensAt'>;

/** GET /api/visit (docs/api.md, Waiting room). */
interface Visit {
  name: string | null;
  hostName: string | null;
  brand: { name: string | null; logoUrl: string | null };
  state: VisitState;
  reason: string | null;
}

const language = pickLanguage(new URLSearchParams(location.search).get('lang'), navigator.languages ?? [navigator.language]);
const t = LANGUAGES[language];
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const token = readToken();
const v4h = new V4H();
let host = t.clinician;
let guestName = '';
let check: { abort: AbortController; stream?: MediaStream } | null = null;
let joining: AbortController | null = null;
let over = false;

/** The token is the fragment: browsers never send it to a server, so it stays out of logs and Referer headers. */
function readToken(): string {
  try {
    return decodeURIComponent(location.hash.slice(1)).trim();
  } catch {
    return '';
  }
}

function applyStaticText(): void {
  document.documentElement.lang = t.htmlLang;
  document.title = t.pageTitle;
  const text: Record<string, string> = {
    'brand-name': t.defaultBrand,
    'loading-text': t.loading,
    'welcome-lead': t.welcome.lead,
    'guest-name-label': t.welcome.name,
    'welcome-submit': t.welcome.submit,
    'check-title': t.check.title,
    'check-camera-name': t.check.camera,
    'check-microphone-name': t.check.microphone,
    'check-connection-name': t.check.connection,
    'check-again': t.check.again,
    leave: t.waiting.leave,
    back: t.end.back,
  };
  for (const [id, value] of Object.entries(text)) $(id).textContent = value;
  $('preview').setAttribute('aria-label', t.check.preview);
  $('call').setAttribute('aria-label', t.call.frame);
  const other = $<HTMLAnchorElement>('lang-switch');
  const url = new URL(location.href);
  url.searchParams.set('lang', t.otherLanguage.lang);
  other.href = url.pathname + url.search + url.hash;
  other.hreflang = other.lang = t.otherLanguage.lang;
  other.textContent = t.otherLanguage.label;
}

function applyBrand(brand: Visit['brand'] | undefined): void {
  if (brand?.name) $('brand-name').textContent = brand.name;
  const logo = $<HTMLImageElement>('brand-logo');
  if (brand?.logoUrl) {
    logo.src = brand.logoUrl;
    // The name beside it says who the clinic is; a logo that fails to load just goes.
    logo.alt = '';
    logo.hidden = false;
    logo.onerror = () => (logo.hidden = true);
  }
}

/** Shows one screen and moves focus to its heading, so keyboard and screen-reader users start there. */
function show(screen: 'loading' | 'welcome' | 'waiting' | 'call' | 'end'): void {
  for (const s of ['loading', 'welcome', 'waiting', 'call', 'end']) $(`screen-${s}`).hidden = s !== screen;
  document.body.classList.toggle('in-call', screen === 'call');
  document.body.dataset.screen = screen;
  $(`screen-${screen}`).querySelector<HTMLElement>('h1')?.focus();
}

function say(message: string): void {
  $('status').textContent = message;
}

function stopCheck(): void {
  check?.abort.abort();
  for (const track of check?.stream?.getTracks() ?? []) track.stop();
  $<HTMLVideoElement>('preview').srcObject = null;
  check = null;
}

function end(kind: EndKind, reason?: string | null): void {
  over = kind !== 'left';
  stopCheck();
  joining?.abort();
  joining = null;
  $('end-title').textContent = t.end[kind].title;
  $('end-lead').textContent = t.end[kind].lead;
  // The clinician's own words when they gave some (a denial's reason).
  $('end-reason').textContent = reason ? t.end.reason(reason) : '';
  $('end-reason').hidden = !reason;
  $('back').hidden = kind !== 'left';
  say('');
  document.body.dataset.end = kind;
  show('end');
}

/**
 * An appointment link before its slot (425, docs/api.md "Appointment links"): when it opens, in the guest's language
 * and time zone, and the page opens the visit by itself then.
 */
function early(seconds: number): void {
  end('early');
  if (!(seconds > 0)) return;
  const opens = new Date(Date.now() + seconds * 1000).toLocaleString(t.htmlLang, { dateStyle: 'medium', timeStyle: 'short' });
  $('end-lead').textContent = t.end.opensAt(opens);
  // setTimeout holds at most 2^31 - 1 ms (24.8 days); a link spans at most 31 days, opened sooner in practice.
  if (seconds * 1000 < 2 ** 31) setTimeout(() => location.reload(), seconds * 1000 + 1000);
}

function welcome(): void {
  $('welcome-title').textContent = t.welcome.title(host);
  $<HTMLInputElement>('guest-name').value = guestName;
  say('');
  show('welcome');
}

async function api(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  return fetch(new URL(`../api/visit${path}`, location.href), {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/**
 * Knocks (or takes back its place: a knock while waiting changes nothing) and follows the visit's state while the
 * check runs; once let in, the SDK's joinAsGuest enters and embeds the call here.
 */
async function enterWaitingRoom(): Promise<void> {
  over = false;
  $('waiting-title').textContent = t.waiting.title(host);
  $('waiting-lead').textContent = t.waiting.lead(host);
  delete document.body.dataset.end;
  show('waiting');
  say(t.waiting.inQueue);
  void runCheck();
  joining = new AbortController();
  const signal = joining.signal;
  let knocked: Response;
  try {
    knocked = await api('POST', '/knock', { name: guestName });
  } catch {
    return end('error');
  }
  if (signal.aborted) return;
  if (!knocked.ok) return endFor(knocked);
  void follow(signal);
}

/** The end screen an error answer of /api/visit leads to. */
async function endFor(res: Response): Promise<void> {
  const { error } = (await res.json().catch(() => ({}))) as { error?: string };
  if (error === 'too_early') early(Number(res.headers.get('retry-after')));
  else if (error === 'expired') end('expired');
  else if (error === 'conference_ended') end('ended');
  else if (error === 'conflict') end('denied');
  else if (res.status === 401 || res.status === 403 || res.status === 404) end('invalid');
  else end('error');
}

/** Keeps GET /api/visit/events open (an open stream is the guest's place in the queue), reconnecting after a drop. */
async function follow(signal: AbortSignal): Promise<void> {
  while (!signal.aborted && !over) {
    try {
      const res = await fetch(new URL('../api/visit/events', location.href), { headers: { authorization: `Bearer ${token}` }, signal });
      if (!res.ok || !res.body) return void endFor(res);
      say(t.waiting.inQueue);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let cut;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = /^data: ?(.*)$/m.exec(block)?.[1];
          if (!/^event: ?state$/m.test(block) || !data) continue;
          const change = JSON.parse(data) as { state: VisitState; reason?: string };
          onState(change.state, change.reason);
        }
      }
    } catch {
      if (signal.aborted) return;
    }
    if (over || signal.aborted) return;
    say(t.waiting.reconnecting);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function onState(state: VisitState, reason?: string): void {
  if (over) return;
  if (state === 'admitted') void joinCall();
  else if (state === 'denied') {
    end('denied', reason);
    awaitAllowAgain();
  } else if (state === 'ended') end('ended');
}

/**
 * Denied: the clinician may still let the guest knock again ("allow again"). The page looks every few seconds while it
 * shows the denial; once the visit is new again, the guest is back at the welcome screen, name kept.
 */
function awaitAllowAgain(): void {
  const timer = setInterval(() => {
    if (document.body.dataset.end !== 'denied') return clearInterval(timer);
    void api('GET', '')
      .then(async (res) => (res.ok ? ((await res.json()) as Visit) : null))
      .then((visit) => {
        if (visit?.state !== 'new' || document.body.dataset.end !== 'denied') return;
        clearInterval(timer);
        over = false;
        delete document.body.dataset.end;
        welcome();
      })
      .catch(() => {});
  }, ALLOW_AGAIN_POLL_MS);
}

/** Let in: the check lets go of camera and microphone, then the call opens in this page. */
async function joinCall(): Promise<void> {
  if (document.body.dataset.screen === 'call' || document.body.dataset.joining) return;
  document.body.dataset.joining = '1';
  stopCheck();
  say(t.waiting.admitted);
  try {
    // Already admitted: joinAsGuest finds the visit so, enters and embeds; the call speaks the page's language.
    await v4h.joinAsGuest(token, $('call'), '100%', '100%', { lang: language });
    if (over) return;
    // The page's stream stays open in the call: it says when the visit ends, whatever the video engine.
    say('');
    show('call');
  } catch (error) {
    if (over) return;
    const code = V4H.isV4HError(error) ? error.code : '';
    end(code === 'conference_ended' ? 'ended' : code === 'unauthorized' ? 'invalid' : 'error');
  } finally {
    delete document.body.dataset.joining;
  }
}

async function runCheck(): Promise<void> {
  stopCheck();
  const current = { abort: new AbortController() } as NonNullable<typeof check>;
  check = current;
  for (const id of ['check-camera', 'check-microphone', 'check-connection']) setItem(id, 'running', t.check.running);
  $('check-summary').textContent = '';
  $('check-advice').replaceChildren();
  $('check-again').hidden = true;
  $('preview').hidden = false;
  delete $('check-result').dataset.result;
  let report: PrecheckReport;
  try {
    report = await v4h.precheck({ guestToken: token, preview: $<HTMLVideoElement>('preview'), keepStream: true, signal: current.abort.signal });
  } catch {
    if (check !== current) return;
    report = {
      camera: { state: 'error', deviceId: null, label: null, width: null, height: null },
      microphone: { state: 'error', deviceId: null, label: null, level: null },
      network: { connectivity: 'failed', rttMs: null, jitterMs: null, packetLoss: null, bitrateKbps: null },
      result: 'bad',
      reasons: ['network_failed'],
    };
  }
  if (check !== current) {
    for (const track of report.stream?.getTracks() ?? []) track.stop();
    return;
  }
  current.stream = report.stream;
  showReport(report);
}

function setItem(id: string, state: 'running' | 'good' | 'warning' | 'bad', text: string): void {
  const item = $(id);
  item.dataset.state = state;
  item.textContent = text;
}

function showReport(r: PrecheckReport): void {
  const device = (id: string, state: PrecheckReport['camera']['state'], missing: 'warning' | 'bad') => {
    if (state === 'ok') setItem(id, 'good', t.check.ok);
    else if (state === 'skipped') setItem(id, 'running', t.check.skipped);
    else if (state === 'no_signal' && id === 'check-microphone') setItem(id, 'warning', t.check.noSound);
    else setItem(id, missing, t.check.notWorking);
  };
  device('check-camera', r.camera.state, 'warning');
  // No picture to show: the empty box would only look broken.
  $('preview').hidden = r.camera.state !== 'ok';
  device('check-microphone', r.microphone.state, 'bad');
  const network = classifyPrecheck({ camera: 'skipped', microphone: 'skipped', network: r.network, relayUnreachable: r.reasons.includes('relay_unreachable') });
  if (r.network.connectivity === 'failed') setItem('check-connection', 'bad', t.check.connectionFailed);
  else if (network.result === 'good') setItem('check-connection', 'good', t.check.connectionGood);
  else setItem('check-connection', network.result, network.result === 'bad' ? t.check.connectionBad : t.check.connectionWarning);
  $('check-result').dataset.result = r.result;
  $('check-summary').textContent = t.check.summary[r.result];
  $('check-advice').replaceChildren(...r.reasons.map((reason) => Object.assign(document.createElement('li'), { textContent: t.check.advice[reason] })));
  $('check-again').hidden = r.result === 'good';
}

async function leaveWaitingRoom(): Promise<void> {
  joining?.abort();
  await api('POST', '/leave').catch(() => undefined);
  end('left');
}

/**
 * An appointment link without a waiting room (`/join?token=…`, docs/api.md "Appointment links") that could not open
 * the call yet sends the browser here with `#join:<token>`: ask /join again for the call's address, and go there, or
 * say why not (before the slot the page waits and tries again by itself).
 */
async function openJoinLink(joinToken: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(new URL(`../join?token=${encodeURIComponent(joinToken)}`, location.href), { headers: { accept: 'application/json' } });
  } catch {
    return end('error');
  }
  if (!res.ok) return endFor(res);
  const { url } = (await res.json()) as { url: string };
  location.replace(url);
}

async function start(): Promise<void> {
  applyStaticText();
  show('loading');
  if (!token) return end('invalid');
  if (token.startsWith('join:')) return openJoinLink(token.slice('join:'.length));
  let res: Response;
  try {
    res = await api('GET', '');
  } catch {
    return end('error');
  }
  if (res.status === 425 || res.status === 410) return endFor(res);
  if (res.status === 401 || res.status === 403 || res.status === 404) return end('invalid');
  if (!res.ok) return end('error');
  const visit = (await res.json()) as Visit;
  applyBrand(visit.brand);
  if (visit.hostName) host = visit.hostName;
  guestName = visit.name ?? '';
  if (visit.state === 'ended') return end('ended');
  if (visit.state === 'denied') {
    end('denied', visit.reason);
    return awaitAllowAgain();
  }
  // Back with the same link (a reload, a closed tab): straight to the same place in the queue.
  if (visit.state === 'waiting' || visit.state === 'admitted') return void enterWaitingRoom();
  welcome();
}

$('welcome-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = $<HTMLInputElement>('guest-name');
  const name = input.value.trim();
  const error = $('name-error');
  error.hidden = name !== '';
  input.setAttribute('aria-invalid', String(name === ''));
  if (!name) {
    error.textContent = t.welcome.nameMissing;
    input.focus();
    return;
  }
  guestName = name;
  void enterWaitingRoom();
});
$('check-again').addEventListener('click', () => void runCheck());
$('leave').addEventListener('click', () => void leaveWaitingRoom());
$('back').addEventListener('click', () => void enterWaitingRoom());
v4h.registerEndedListener(() => end('ended'));
void start();
