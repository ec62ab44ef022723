// Fills the demo page's static text (index.html has structure and ids, no words) from one language's strings.
import type { Language, Strings } from './lang/index.js';

const byId = (id: string) => document.getElementById(id) as HTMLElement;

/** Sets an element's text, turning `backticked` parts into <code> (textContent only: strings never become markup). */
export function setRich(element: HTMLElement, text: string): void {
  element.replaceChildren(
    ...text.split('`').map((part, i) => {
      if (i % 2 === 0) return document.createTextNode(part);
      const code = document.createElement('code');
      code.textContent = part;
      return code;
    }),
  );
}

/** Writes every static string of the page, the page's language and the link to the other language. */
export function applyStrings(t: Strings, language: Language): void {
  document.documentElement.lang = t.htmlLang;
  document.title = t.pageTitle;
  const text: Record<string, string> = {
    heading: t.heading,
    'signin-title': t.signIn.title,
    'username-label': t.signIn.username,
    'password-label': t.signIn.password,
    'signin-submit': t.signIn.submit,
    'first-run-lead': t.firstRun.lead,
    'conference-title': t.conference.title,
    'session-id-label': t.conference.sessionId,
    'session-id-hint': t.conference.sessionIdHint,
    'display-name-label': t.conference.displayName,
    'avatar-url-label': t.conference.avatarUrl,
    'avatar-url-hint': t.conference.optional,
    request: t.conference.request,
    start: t.conference.start,
    join: t.conference.join,
    logout: t.conference.signOut,
    'guest-title': t.guest.title,
    'guest-name-label': t.guest.name,
    'guest-submit': t.guest.copy,
    'guest-url-label': t.guest.link,
    'call-title': t.call.title,
    leave: t.call.leave,
    end: t.call.end,
    'ended-title': t.ended.title,
    'ended-before': t.ended.before,
    'ended-after': t.ended.after,
    'details-title': t.details.title,
    'refresh-details': t.details.refresh,
  };
  for (const [id, value] of Object.entries(text)) byId(id).textContent = value;
  setRich(byId('intro'), t.intro);
  setRich(byId('first-run-env'), t.firstRun.env);
  byId('call').setAttribute('aria-label', t.call.frame);

  // The switch keeps the rest of the address (a session restored from sessionStorage survives the reload).
  const other = byId('lang-switch') as HTMLAnchorElement;
  const url = new URL(location.href);
  url.searchParams.set('lang', t.otherLanguage.lang);
  other.href = url.pathname + url.search + url.hash;
  other.hreflang = other.lang = t.otherLanguage.lang;
  other.textContent = t.otherLanguage.label;
  other.dataset.current = language;
}
