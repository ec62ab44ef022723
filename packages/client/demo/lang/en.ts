// Every English string of the demo page (index.html's text is filled in from here by page-text.ts).
import type { V4HErrorCode } from '../../src/errors.js';

/** The demo page's strings; pt-BR.ts must provide the same keys (the type checks it). Text in `backticks` shows as code. */
export const en = {
  htmlLang: 'en',
  pageTitle: 'V4H demo — embedded consultation',
  heading: 'V4H demo',
  intro: 'A clinic page embedding a video consultation with `<script src="/v4h.js">`.',
  /** The link to the page in the other language, written in that language. */
  otherLanguage: { lang: 'pt-BR', label: 'Português' },
  signIn: {
    title: 'Sign in',
    username: 'Username',
    password: 'Password',
    submit: 'Sign in',
  },
  firstRun: {
    lead: 'No account yet? Create one on the server, then sign in:',
    env: 'or start the server with `V4H_ADMIN_USERNAME` and `V4H_ADMIN_PASSWORD` set.',
  },
  conference: {
    title: 'Consultation',
    signedInAs: (username: string) => `Signed in as ${username}.`,
    /** Shown for a session restored after a reload when the username was not kept. */
    someone: 'you',
    sessionId: 'Session id',
    sessionIdHint: '(empty: a new one)',
    displayName: 'Your name in the call',
    avatarUrl: 'Avatar URL',
    optional: '(optional)',
    request: 'Request',
    start: 'Start',
    join: 'Join',
    signOut: 'Sign out',
  },
  guest: {
    title: 'Guest link',
    name: "Guest's name",
    copy: 'Copy guest link',
    link: 'Guest link',
  },
  call: {
    title: 'Call',
    frame: 'Video call',
    leave: 'Leave',
    end: 'End call for everyone',
  },
  ended: {
    title: 'Call ended',
    /** Split around the session id, which shows as code. */
    before: 'The consultation',
    after: 'is over for you.',
  },
  details: {
    title: 'Conference record',
    refresh: 'Refresh',
    /** What each field of getConference's answer is; the field's own name shows beside it. */
    fields: {
      sessionId: 'Session id',
      owner: 'Owner',
      created: 'Created',
      ended: 'Ended',
      state: 'State',
      urlStorage: 'Record stored at',
      hash: 'Record hash',
      hashType: 'Hash algorithm',
      DLTId: 'Ledger entry',
      DLTType: 'Ledger',
    },
  },
  status: {
    signedIn: 'Signed in.',
    signedOut: 'Signed out.',
    requested: (id: string) => `Conference \`${id}\` requested.`,
    started: (id: string) => `Call \`${id}\` started.`,
    joined: (id: string) => `Joined call \`${id}\`.`,
    inCall: (id: string) => `You are in call \`${id}\`.`,
    callEnded: (id: string) => `Call \`${id}\` ended.`,
    sessionExpired: 'Your session expired: please sign in again.',
    guestCopied: 'Guest link copied.',
    guestReady: 'Guest link ready: copy it from the field.',
  },
  /** One sentence per SDK error code; the code is shown beside it. */
  errors: {
    invalid_argument: 'Something in the form is missing or not valid.',
    not_signed_in: 'Please sign in first.',
    session_expired: 'Your session expired: please sign in again.',
    jitsi_unavailable: 'The video service could not be loaded.',
    jitsi_error: 'The video service reported an error.',
    network_error: 'The server could not be reached.',
    bad_response: 'The server gave an answer the page does not understand.',
    invalid_signature: 'A webhook signature does not match.',
    validation_failed: 'Something in the form is not valid.',
    bad_request: 'The server could not accept this request.',
    digest_mismatch: 'The file changed while it was being sent.',
    unauthorized: 'Please sign in again.',
    invalid_credentials: 'Wrong username or password.',
    invalid_refresh_token: 'Your session expired: please sign in again.',
    forbidden: 'You are not allowed to do this.',
    not_found: 'There is no consultation with this session id.',
    conflict: 'This is not possible in the consultation’s current state.',
    conference_ended: 'This consultation has ended.',
    expired: 'This link has expired.',
    too_early: 'This link is not open yet: come back at the time of the appointment.',
    payload_too_large: 'This is too large.',
    unsupported_media_type: 'This kind of file is not accepted.',
    range_not_satisfiable: 'That part of the file does not exist.',
    rate_limited: 'Too many attempts: wait a moment and try again.',
    service_unavailable: 'The server is busy: try again in a moment.',
    internal_error: 'Something went wrong on the server.',
  } satisfies Record<V4HErrorCode, string>,
  /** For an error without a code (not from the SDK). */
  unexpectedError: 'Something went wrong.',
};

export type Strings = typeof en;
