// The page ↔ parent postMessage protocol of the built-in room (our own, not Jitsi's); both ends check origins.

/** Marks our messages among whatever else a page receives. */
export const MESSAGE_TAG = 'v4h-room/1';

/** From the meeting page to the embedding page. */
export interface PageToParent {
  tag: typeof MESSAGE_TAG;
  apiId: number;
  kind: 'ready' | 'event' | 'response';
  name?: string;
  data?: Record<string, unknown>;
  /** For `response`: the request it answers, and its result or error message. */
  id?: number;
  result?: unknown;
  error?: string;
}

/** The commands the built-in room carries out (Jitsi's names); others log "Not supported command name." as Jitsi does. */
export const SUPPORTED_COMMANDS = [
  'displayName',
  'avatarUrl',
  'toggleAudio',
  'toggleVideo',
  'hangup',
  'endConference',
  'sendChatMessage',
  'toggleChat',
  'toggleShareScreen',
  'toggleTileView',
  'setTileView',
  'muteEveryone',
  'subject',
  'kickParticipant',
  'startRecording',
  'stopRecording',
] as const;

/** Jitsi IFrame API methods the built-in room does not have: they log "Not supported command name." and do nothing. */
export const UNSUPPORTED_METHODS = [
  'captureLargeVideoScreenshot',
  'getVideoQuality',
  'getEmail',
  'invite',
  'isAudioAvailable',
  'isVideoAvailable',
  'pinParticipant',
  'resizeLargeVideo',
  'setLargeVideoParticipant',
] as const;

type Media = { muted: boolean };
type MediaError = { type: string; message: string };

/** Every event the meeting page sends the embedding page, with its payload (Jitsi's names; jitsi-types.test.ts checks them). */
export interface RoomEvents {
  videoConferenceJoined: { roomName: string; id: string; displayName: string; avatarURL: string; breakoutRoom: boolean; visitor: boolean };
  videoConferenceLeft: { roomName: string };
  readyToClose: Record<string, never>;
  participantJoined: { id: string; displayName: string };
  participantLeft: { id: string };
  /** Someone was removed by the moderator (`kicker.id` empty: a guest link revoked over the API). */
  participantKickedOut: { kicked: { id: string; local: boolean }; kicker: { id: string } };
  /** Jitsi sends `displayname` in lower case (its @types say displayName). */
  displayNameChange: { id: string; displayname: string };
  avatarChanged: { id: string; avatarURL: string };
  audioMuteStatusChanged: Media;
  videoMuteStatusChanged: Media;
  cameraError: MediaError;
  micError: MediaError;
  errorOccurred: { error: { name: string; type: string; message: string; isFatal: boolean; code: string } };
  incomingMessage: { from: string; nick: string; privateMessage: boolean; message: string; stamp: string };
  outgoingMessage: { message: string; privateMessage: boolean };
  chatUpdated: { isOpen: boolean; unreadCount: number };
  screenSharingStatusChanged: { on: boolean; details: { sourceType?: 'screen' } };
  contentSharingParticipantsChanged: { data: string[] };
  participantRoleChanged: { id: string; role: 'moderator' | 'participant' };
  dominantSpeakerChanged: { id: string };
  tileViewChanged: { enabled: boolean };
  subjectChange: { subject: string };
  /**
   * Jitsi's: recording (mode `file`, in the owner's browser, docs/room.md) started or stopped; `error` is why it did not
   * start or stopped early (e.g. `consent_missing`), `message` and `details` (ours) say more (who has not consented).
   */
  recordingStatusChanged: { on: boolean; mode: 'file'; error?: string; message?: string; details?: Record<string, unknown> };
  /** Jitsi's: the stored recording's link (signed, valid `ttl` ms), once the upload is complete. */
  recordingLinkAvailable: { link: string; ttl: number };
  /** Ours (Jitsi has no such event): a link to another participant changed quality. */
  networkQualityChanged: {
    participantId: string;
    state: 'good' | 'warning' | 'bad';
    reasons: string[];
    rttMs: number | null;
    packetLoss: number | null;
    bitrateKbps: number | null;
  };
}

/** From the embedding page to the meeting page. */
export interface ParentToPage {
  tag: typeof MESSAGE_TAG;
  apiId: number;
  /** `command`: fire and forget (executeCommand); `request`: answered by a `response` with the same id (getters). */
  kind: 'command' | 'request';
  name: string;
  args: unknown[];
  id?: number;
}

/** Hash parameters the IFrame API passes to the page (values JSON-encoded, as Jitsi does). */
export const HASH = {
  apiId: 'v4h.apiId',
  parentOrigin: 'v4h.parentOrigin',
  jwt: 'jwt',
  displayName: 'userInfo.displayName',
  startWithAudioMuted: 'config.startWithAudioMuted',
  startWithVideoMuted: 'config.startWithVideoMuted',
} as const;

/** Parses `a=1&b="x"` (a URL fragment) into values, JSON-decoding where possible. */
export function parseHashParams(hash: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const part of hash.replace(/^#/, '').split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const raw = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON (e.g. a bare token): keep the text.
    }
    out.set(key, value);
  }
  return out;
}
