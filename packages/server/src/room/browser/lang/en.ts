// Every English string of the meeting page (the server's HTML shell and meeting.js both read it).

/** The meeting page's strings; pt-BR.ts must provide the same keys (the type checks it). */
export const en = {
  htmlLang: 'en',
  pageTitle: 'Video call · V4H',
  heading: 'Video call',
  participants: 'Participants',
  callControls: 'Call controls',
  noScript: 'This video call needs JavaScript.',
  status: {
    connecting: 'Connecting…',
    waiting: 'Waiting for others to join…',
    reconnecting: 'Connection lost. Reconnecting…',
    left: 'You left the call.',
    ended: 'The call has ended.',
  },
  refusedDefault: "You can't join this call",
  refusals: {
    token_expired: 'This call link has expired',
    token_not_yet_valid: 'This call link is not valid yet',
    token_missing: 'This call link is not valid',
    token_invalid: 'This call link is not valid',
    token_wrong_room: 'This call link is for another call',
    room_full: 'This call is full',
    guest_link_in_use: 'This guest link is already in use in the call',
    removed: 'You were removed from this call',
    conference_not_found: 'This call does not exist',
    conference_ended: 'This call has ended',
  },
  /** Shown under the refusal title (the server's message is English and technical). */
  refusedHint: 'Ask whoever invited you for a new link.',
  you: 'You',
  youSuffix: (name: string) => `${name} (you)`,
  mutedMark: 'muted',
  tileLabel: (name: string, account: string, audioMuted: boolean, videoMuted: boolean) =>
    `${name}${account ? `, ${account}` : ''}${audioMuted ? ', microphone muted' : ''}${videoMuted ? ', camera off' : ''}`,
  /** The mark beside a guest's name. */
  guestMark: 'Guest',
  /** Whose account (or a guest link) a participant came in with; beside the name and in the tile's label. */
  accountTitle: (username: string | null) => (username === null ? 'guest link' : `account ${username}`),
  mute: 'Mute',
  unmute: 'Unmute',
  stopCamera: 'Stop camera',
  startCamera: 'Start camera',
  leave: 'Leave call',
  shareScreen: 'Share screen',
  stopSharing: 'Stop sharing',
  chat: 'Chat',
  settings: 'Devices',
  devices: {
    title: 'Devices',
    microphone: 'Microphone',
    camera: 'Camera',
    speaker: 'Speaker',
    none: 'None found',
    close: 'Close',
  },
  media: {
    blockedTitle: { camera: 'Your camera is blocked', microphone: 'Your microphone is blocked', both: 'Your camera and microphone are blocked' },
    blockedHow:
      'To allow them, click the camera or lock icon in the address bar, choose "Allow" for this site, then press "Try again". On a phone, allow the browser to use them in the phone\'s settings.',
    notFound: { camera: 'No camera was found', microphone: 'No microphone was found', both: 'No camera or microphone was found' },
    notFoundHow: 'Connect one and press "Try again". The others can still see and hear you with what works.',
    inUse: { camera: 'Your camera is in use by another app', microphone: 'Your microphone is in use by another app', both: 'Your camera and microphone are in use by another app' },
    inUseHow: 'Close the other app (or the other call tab), then press "Try again".',
    failedTitle: { camera: 'Your camera could not start', microphone: 'Your microphone could not start', both: 'Your camera and microphone could not start' },
    failedHow: 'Choose another device in "Devices", or press "Try again".',
    retry: 'Try again',
    dismiss: 'Close',
  },
  chatPanel: {
    title: 'Chat',
    everyone: 'Everyone',
    to: 'To',
    placeholder: 'Type a message',
    send: 'Send',
    close: 'Close chat',
    save: 'Save chat to the record',
    saved: 'Chat saved to the record.',
    saveFailed: 'The chat could not be saved.',
    privateTo: (name: string) => `privately to ${name}`,
    privateFrom: 'privately',
    notStored: 'Messages are not stored unless the host saves the chat.',
  },
  people: {
    title: 'Participants',
    button: (n: number) => `Participants (${n})`,
    close: 'Close participants',
    moderator: 'host',
    remove: 'Remove',
    /** Second click of Remove: removing is for good (the link stops working). */
    confirmRemove: (name: string) => `Remove ${name} for good?`,
  },
  quality: { good: 'Good connection', warning: 'Unstable connection', bad: 'Poor connection' },
  sharing: (name: string) => `${name} is sharing the screen`,
};

/** The shape every language provides. */
export type Strings = typeof en;
