// The meeting page: joins the room over the signaling socket, runs the WebRTC mesh, reports to the embedding page.
import type { PeerInfo, RoomErrorCode, ServerMessage } from '../protocol.js';
import { HASH, parseHashParams } from './messages.js';
import { Mesh } from './mesh.js';
import { connectParent } from './parent.js';
import { Signaling } from './signaling.js';
import { MeetingView, type PageState } from './view.js';
import { t } from './page-strings.js';

const roomName = document.getElementById('meeting')!.dataset.room!;
const hash = parseHashParams(location.hash);
const jwt = String(hash.get(HASH.jwt) ?? new URLSearchParams(location.search).get('jwt') ?? '');
const parent = connectParent(hash.get(HASH.apiId), hash.get(HASH.parentOrigin));
const view = new MeetingView();
const resumeKey = `v4h-room:${roomName}`;

let displayName = typeof hash.get(HASH.displayName) === 'string' ? (hash.get(HASH.displayName) as string) : undefined;
let audioMuted = hash.get(HASH.startWithAudioMuted) === true;
let videoMuted = hash.get(HASH.startWithVideoMuted) === true;
let me: PeerInfo | undefined;
let fromToken = { displayName: false, avatar: false };
let localStream: MediaStream | null = null;
let mediaReady: Promise<unknown> = Promise.resolve();
let finished = false;
let leaveTimer: ReturnType<typeof setTimeout> | undefined;
const peers = new Map<string, PeerInfo>();

const signaling = new Signaling(
  `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/room/ws`,
  () => ({ type: 'join', roomName, jwt, displayName, audioMuted, videoMuted, resume: loadResume() }),
  { message: onMessage, reconnecting: () => !finished && view.setState('reconnecting') },
);

const mesh = new Mesh({
  iceServers: [],
  localStream: () => localStream,
  sendSignal: (to, data) => signaling.send({ type: 'signal', to, data }),
  onStream: (peerId, stream) => view.attach(peerId, stream),
  onConnectionState: () => {},
});

function loadResume(): { participantId: string; resumeKey: string } | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(resumeKey) ?? 'null');
    return saved?.participantId && saved?.resumeKey ? saved : undefined;
  } catch {
    return undefined; // storage blocked (third-party iframe settings): no resume after a reload
  }
}

function saveResume(value: { participantId: string; resumeKey: string } | null) {
  try {
    if (value) sessionStorage.setItem(resumeKey, JSON.stringify(value));
    else sessionStorage.removeItem(resumeKey);
  } catch {
    // see loadResume
  }
}

function onMessage(msg: ServerMessage) {
  if (finished) return;
  switch (msg.type) {
    case 'joined':
      return onJoined(msg);
    case 'participant-joined':
      addPeer(msg.participant);
      return void mediaReady.then(() => refreshState());
    case 'participant-updated':
    case 'participant-resumed': {
      const before = peers.get(msg.participant.id);
      if (!before) return;
      if (msg.type === 'participant-resumed') mesh.drop(msg.participant.id);
      peers.set(msg.participant.id, msg.participant);
      view.tile(msg.participant.id, msg.participant);
      if (before.displayName !== msg.participant.displayName) {
        parent.emit('displayNameChange', { id: msg.participant.id, displayname: msg.participant.displayName });
      }
      return;
    }
    case 'participant-left':
      return removePeer(msg.id);
    case 'signal':
      return void mediaReady.then(() => mesh.handleSignal(msg.from, msg.data));
    case 'left':
      return finish('left');
    case 'ended':
      return finish('ended');
    case 'error':
      return onError(msg.code, msg.message, msg.fatal);
  }
}

function onJoined(msg: Extract<ServerMessage, { type: 'joined' }>) {
  const first = me === undefined;
  me = msg.you;
  fromToken = msg.fromToken;
  mesh.options.iceServers = msg.iceServers;
  saveResume({ participantId: msg.you.id, resumeKey: msg.resumeKey });
  // After a reconnection every link is renegotiated; members that left meanwhile are dropped.
  mesh.dropAll();
  const present = new Set(msg.participants.map((p) => p.id));
  for (const id of [...peers.keys()]) if (!present.has(id)) removePeer(id);
  if (first) {
    parent.emit('videoConferenceJoined', { roomName, id: me.id, displayName: me.displayName, avatarURL: me.avatar ?? '', breakoutRoom: false, visitor: false });
    mediaReady = startMedia();
  }
  for (const p of msg.participants) addPeer(p);
  refreshState();
  void mediaReady.then(() => {
    for (const p of msg.participants) if (peers.has(p.id)) mesh.connectTo(p.id);
  });
}

async function startMedia() {
  for (const constraints of [{ audio: true, video: { width: { ideal: 640 }, height: { ideal: 360 } } }, { audio: true }, { video: true }]) {
    try {
      localStream = await navigator.mediaDevices.getUserMedia(constraints);
      break;
    } catch {
      // Try with fewer devices; with none we still receive the others.
    }
  }
  if (finished) return stopMedia();
  if (!localStream?.getAudioTracks().length) audioMuted = true;
  if (!localStream?.getVideoTracks().length) videoMuted = true;
  applyMute();
  const video = view.tile('local', localTileInfo(), true);
  video.srcObject = localStream;
  video.play().catch(() => {});
}

function stopMedia() {
  for (const track of localStream?.getTracks() ?? []) track.stop();
  localStream = null;
}

const localTileInfo = () => ({ displayName: me?.displayName ?? displayName ?? t.you, avatar: me?.avatar ?? null, audioMuted, videoMuted });

function applyMute() {
  for (const t of localStream?.getAudioTracks() ?? []) t.enabled = !audioMuted;
  for (const t of localStream?.getVideoTracks() ?? []) t.enabled = !videoMuted;
  view.setToggles(audioMuted, videoMuted);
  if (me) view.tile('local', localTileInfo(), true);
  signaling.send({ type: 'mute', audio: audioMuted, video: videoMuted });
}

function addPeer(p: PeerInfo) {
  const known = peers.has(p.id);
  peers.set(p.id, p);
  view.tile(p.id, p);
  if (!known) parent.emit('participantJoined', { id: p.id, displayName: p.displayName });
  refreshState();
}

function removePeer(id: string) {
  mesh.drop(id);
  view.removeTile(id);
  if (peers.delete(id)) parent.emit('participantLeft', { id });
  refreshState();
}

function refreshState() {
  if (!finished && me) view.setState(peers.size ? 'in-call' : 'waiting');
}

/** Jitsi's error names, so integrators' existing handlers recognise them. */
function jitsiError(code: RoomErrorCode): { name: string; type: 'CONNECTION' | 'CONFERENCE' } {
  if (code.startsWith('token_')) return { name: 'connection.passwordRequired', type: 'CONNECTION' };
  if (code === 'room_full') return { name: 'conference.max_users', type: 'CONFERENCE' };
  if (code === 'conference_ended' || code === 'conference_not_found') return { name: 'conference.destroyed', type: 'CONFERENCE' };
  if (code === 'not_moderator') return { name: 'conference.notModerator', type: 'CONFERENCE' };
  return { name: 'connection.otherError', type: 'CONNECTION' };
}

function onError(code: RoomErrorCode, message: string, fatal: boolean) {
  parent.emit('errorOccurred', { error: { ...jitsiError(code), message, isFatal: fatal, code } });
  if (!fatal) return;
  if (me && code === 'conference_ended') return finish('ended');
  const wasIn = me !== undefined;
  finish('refused');
  view.showRefused((t.refusals as Partial<Record<RoomErrorCode, string>>)[code] ?? t.refusedDefault, message);
  if (!wasIn) saveResume(null);
}

function finish(state: PageState) {
  if (finished) return;
  finished = true;
  clearTimeout(leaveTimer);
  signaling.stop();
  mesh.dropAll();
  stopMedia();
  saveResume(null);
  for (const id of [...peers.keys()]) view.removeTile(id);
  peers.clear();
  view.setState(state);
  if (me) {
    parent.emit('videoConferenceLeft', { roomName });
    parent.emit('readyToClose', {});
  }
}

let leaving = false;

function hangup() {
  if (finished || leaving) return;
  leaving = true;
  // Wait for the server to record the leave (its 'left' reply finishes), but not forever.
  signaling.send({ type: 'leave' });
  leaveTimer = setTimeout(() => finish('left'), 2000);
}

const commands: Record<string, (...args: unknown[]) => void> = {
  hangup,
  endConference: () => signaling.send({ type: 'end' }),
  toggleAudio: () => {
    if (!localStream?.getAudioTracks().length) return;
    audioMuted = !audioMuted;
    applyMute();
    parent.emit('audioMuteStatusChanged', { muted: audioMuted });
  },
  toggleVideo: () => {
    if (!localStream?.getVideoTracks().length) return;
    videoMuted = !videoMuted;
    applyMute();
    parent.emit('videoMuteStatusChanged', { muted: videoMuted });
  },
  displayName: (name) => {
    if (typeof name !== 'string' || !name.trim() || fromToken.displayName) return;
    displayName = name.trim().slice(0, 200);
    if (me) me.displayName = displayName;
    signaling.send({ type: 'profile', displayName });
    if (me) {
      view.tile('local', localTileInfo(), true);
      parent.emit('displayNameChange', { id: me.id, displayname: displayName });
    }
  },
  avatarUrl: (url) => {
    if (typeof url !== 'string' || !/^(https?:|data:image\/)/i.test(url) || fromToken.avatar) return;
    if (me) me.avatar = url;
    signaling.send({ type: 'profile', avatar: url });
    if (me) view.tile('local', localTileInfo(), true);
  },
};

parent.onCommand((name, args) => commands[name]?.(...args));
view.mic.addEventListener('click', () => commands.toggleAudio!());
view.cam.addEventListener('click', () => commands.toggleVideo!());
view.hangup.addEventListener('click', hangup);
view.setToggles(audioMuted, videoMuted);
signaling.start();
