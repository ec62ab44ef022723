// The built-in room's WebSocket messages (browser ↔ server), shared by the server and the meeting page.
import { parseQualitySummary, type QualitySummary } from './quality.js';

/**
 * Whose account or guest link a participant came in with, set by the server from the token: the display name is
 * whatever the joiner typed ("Dr. Alice"), this is who it really is (shown beside the name).
 */
export type PeerAccount = { kind: 'user'; username: string } | { kind: 'guest' };

/** A participant as every member of the room sees it. */
export interface PeerInfo {
  id: string;
  displayName: string;
  account: PeerAccount;
  avatar: string | null;
  moderator: boolean;
  audioMuted: boolean;
  videoMuted: boolean;
  /** False while its connection is interrupted (grace period). */
  connected: boolean;
  /** Sends its screen instead of its camera: the others show it large. */
  screenSharing: boolean;
}

/** A WebRTC negotiation payload relayed as is between two members. */
export type SignalData = { description: { type: 'offer' | 'answer'; sdp: string } } | { candidate: unknown };

export type ClientMessage =
  | {
      type: 'join';
      roomName: string;
      jwt: string;
      displayName?: string;
      audioMuted?: boolean;
      videoMuted?: boolean;
      /** Resumes a participant whose connection dropped, within the grace period. */
      resume?: { participantId: string; resumeKey: string };
    }
  | { type: 'signal'; to: string; data: SignalData }
  | { type: 'mute'; audio?: boolean; video?: boolean }
  | { type: 'share'; on: boolean }
  | { type: 'profile'; displayName?: string; avatar?: string | null }
  | { type: 'leave' }
  | { type: 'end' }
  /** The moderator removes a participant (Jitsi's `kickParticipant`): its token is refused afterwards. */
  | { type: 'kick'; id: string }
  /** A chat message to everyone, or privately to one participant; relayed, never stored by the server. */
  | { type: 'chat'; message: string; to?: string }
  /** The owner keeps the chat: stored as an attachment, so its hash enters the record. */
  | { type: 'save-chat'; transcript: string }
  /** A moderator mutes everyone else's microphone (or camera), as Jitsi's muteEveryone. */
  | { type: 'mute-everyone'; media: 'audio' | 'video' }
  /** A moderator sets the call's subject (Jitsi's `subject` command); shown to everyone, never stored. */
  | { type: 'subject'; subject: string }
  /** This page's call quality so far (every 30 s and on leave): kept by the server, readable by the owner. */
  | { type: 'quality'; summary: QualitySummary }
  /** The owner's page asks for an API access token (it records and uploads, docs/room.md "Recording"). */
  | { type: 'api-token' };

/** Longest chat message and saved transcript (characters). */
export const CHAT_MAX = 2000;
export const TRANSCRIPT_MAX = 100_000;
/** Longest call subject (characters). */
export const SUBJECT_MAX = 200;

/** Stable reasons a join is refused or a command fails. */
export type RoomErrorCode =
  | 'token_missing'
  | 'token_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_wrong_room'
  | 'access_revoked'
  | 'room_full'
  | 'guest_link_in_use'
  | 'removed'
  | 'conference_not_found'
  | 'conference_ended'
  | 'not_moderator'
  | 'not_owner'
  | 'save_failed'
  | 'bad_message'
  | 'unavailable';

export type ServerMessage =
  | {
      type: 'joined';
      you: PeerInfo;
      /** Name and avatar given by the token cannot be changed in the call. */
      fromToken: { displayName: boolean; avatar: boolean };
      resumeKey: string;
      resumed: boolean;
      participants: PeerInfo[];
      /** How long a dropped participant keeps its seat; after a server restart, absent members get as long to come back. */
      graceSeconds?: number;
      iceServers: { urls: string | string[]; username?: string; credential?: string }[];
      /** The subject a moderator set, if any. */
      subject?: string;
    }
  | { type: 'participant-joined'; participant: PeerInfo }
  | { type: 'participant-updated'; participant: PeerInfo }
  /** The member reconnected: drop its old peer connection and wait for its new offer. */
  | { type: 'participant-resumed'; participant: PeerInfo }
  | { type: 'participant-left'; id: string }
  /** Someone was removed (by: the moderator's participant id, null for a guest link revoked over the API); `participant-left` follows. */
  | { type: 'participant-kicked'; id: string; by: string | null }
  /** You were removed: the socket closes (4403) and this account or guest link cannot come back into the conference. */
  | { type: 'kicked'; by: string | null }
  | { type: 'signal'; from: string; data: SignalData }
  | { type: 'left' }
  | { type: 'chat'; from: string; message: string; private: boolean }
  | { type: 'chat-saved'; fileId: string; sha256: string }
  | { type: 'ended'; reason: string }
  /** A moderator muted everyone: the page mutes that device (the person can unmute, as on Jitsi). */
  | { type: 'muted'; media: 'audio' | 'video'; by: string }
  | { type: 'subject'; subject: string }
  /** The server is stopping (restart or deploy): reconnect and resume; nobody has left. */
  | { type: 'restarting' }
  | { type: 'error'; code: RoomErrorCode; message: string; fatal: boolean }
  /** An API access token for the owner's page (short-lived; asked again before it expires). */
  | { type: 'api-token'; token: string; expiresAt: number; sessionId: string }
  | { type: 'api-token-refused'; reason: string }
  /**
   * The conference's recording as its log says, sent at join and whenever a consent or recording event is appended:
   * pages read the details (who consented, the text to show) from GET …/recording with their room token.
   */
  | RecordingState;

/** See ServerMessage `recording-state`. */
export interface RecordingState {
  type: 'recording-state';
  sessionId: string;
  recording: boolean;
  /** The latest recording consent request (a late joiner answers it), or null. */
  requestId: string | null;
  /** The participant whose page records (the owner's page that joined first on this server process), or null. */
  recorderId: string | null;
  /** The log's sequence number of the last such event. */
  seq: number;
}

const ROOM_NAME = /^[a-z0-9][a-z0-9-]{0,127}$/;
const text = (v: unknown, max: number) => typeof v === 'string' && v.length <= max;
// Names and avatar URLs are shown to people and recorded: no C0 control characters (NUL, line breaks, escapes).
// SDP is the one text that carries them (CRLF line ends).
// eslint-disable-next-line no-control-regex -- matching control characters is the point of this pattern
const CONTROL = /[\u0000-\u001f\u007f]/;
const shown = (v: unknown, max: number) => text(v, max) && !CONTROL.test(v as string);
const optBool = (v: unknown) => v === undefined || typeof v === 'boolean';

/** Validates a message from a browser; undefined when malformed. */
export function parseClientMessage(raw: string): ClientMessage | undefined {
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!m || typeof m !== 'object') return undefined;
  switch (m.type) {
    case 'join': {
      const r = m.resume as Record<string, unknown> | undefined;
      const resumeOk = r === undefined || (r && text(r.participantId, 64) && text(r.resumeKey, 128));
      const ok = typeof m.roomName === 'string' && ROOM_NAME.test(m.roomName) && text(m.jwt, 8192);
      return ok && resumeOk && (m.displayName === undefined || shown(m.displayName, 200)) && optBool(m.audioMuted) && optBool(m.videoMuted)
        ? (m as ClientMessage)
        : undefined;
    }
    case 'signal': {
      const d = m.data as Record<string, unknown> | undefined;
      const desc = d?.description as Record<string, unknown> | undefined;
      // `in` throws on a primitive: `data` must be an object before it is looked into.
      const okData = !!d && typeof d === 'object' && (desc ? (desc.type === 'offer' || desc.type === 'answer') && text(desc.sdp, 60_000) : 'candidate' in d);
      return text(m.to, 64) && okData ? (m as ClientMessage) : undefined;
    }
    case 'mute':
      return optBool(m.audio) && optBool(m.video) ? (m as ClientMessage) : undefined;
    case 'share':
      return typeof m.on === 'boolean' ? { type: 'share', on: m.on } : undefined;
    case 'profile':
      return (m.displayName === undefined || shown(m.displayName, 200)) && (m.avatar === undefined || m.avatar === null || shown(m.avatar, 2000))
        ? (m as ClientMessage)
        : undefined;
    case 'chat':
      return typeof m.message === 'string' && m.message.trim() && m.message.length <= CHAT_MAX && (m.to === undefined || text(m.to, 64))
        ? { type: 'chat', message: m.message, ...(m.to === undefined ? {} : { to: m.to as string }) }
        : undefined;
    case 'save-chat':
      return typeof m.transcript === 'string' && m.transcript.trim() && m.transcript.length <= TRANSCRIPT_MAX
        ? { type: 'save-chat', transcript: m.transcript }
        : undefined;
    case 'mute-everyone':
      return m.media === undefined || m.media === 'audio' || m.media === 'video'
        ? { type: 'mute-everyone', media: (m.media as 'video' | undefined) ?? 'audio' }
        : undefined;
    case 'subject':
      return typeof m.subject === 'string' && shown(m.subject, SUBJECT_MAX) ? { type: 'subject', subject: m.subject.trim() } : undefined;
    case 'quality': {
      const summary = parseQualitySummary(m.summary);
      return summary ? { type: 'quality', summary } : undefined;
    }
    case 'kick':
      return text(m.id, 64) ? { type: 'kick', id: m.id as string } : undefined;
    case 'leave':
    case 'end':
    case 'api-token':
      return { type: m.type };
    default:
      return undefined;
  }
}
