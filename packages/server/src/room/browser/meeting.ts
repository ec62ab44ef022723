// The meeting page: joins the room over the signaling socket, runs the WebRTC mesh, reports to the embedding page.
import { SUBJECT_MAX, TRANSCRIPT_MAX, type PeerInfo, type RoomErrorCode, type ServerMessage } from '../protocol.js';
import { HASH, parseHashParams } from './messages.js';
import { Mesh } from './mesh.js';
import { connectParent } from './parent.js';
import { Signaling } from './signaling.js';
import { $, MeetingView, type PageState } from './view.js';
import { t } from './page-strings.js';
import { LocalMedia, type MediaFailure, type MediaKind } from './local-media.js';
import { Devices, type DeviceKey } from './devices.js';
import { MediaNotice } from './media-notice.js';
import { ChatPanel } from './chat.js';
import { ScreenShare } from './screen-share.js';
import { QualityMonitor } from './quality-monitor.js';
import { DominantSpeaker } from './speakers.js';
import { PeoplePanel } from './people.js';
import { loadResume, saveResume } from './resume-store.js';
import { jitsiError } from './jitsi-errors.js';
import { RecordingControl } from './recording-control.js';

// performance.mark('v4h:…'): the steps to the first frame, read by bench/room.js (silent; a handful per call).
performance.mark?.('v4h:script');
const roomName = document.getElementById('meeting')!.dataset.room!;
const hash = parseHashParams(location.hash);
const hashJwt = hash.get(HASH.jwt);
const jwt = typeof hashJwt === 'string' ? hashJwt : (new URLSearchParams(location.search).get('jwt') ?? '');
const parent = connectParent(hash.get(HASH.apiId), hash.get(HASH.parentOrigin));
const view = new MeetingView();

let displayName = typeof hash.get(HASH.displayName) === 'string' ? (hash.get(HASH.displayName) as string) : undefined;
let audioMuted = hash.get(HASH.startWithAudioMuted) === true;
let videoMuted = hash.get(HASH.startWithVideoMuted) === true;
let me: PeerInfo | undefined;
let fromToken = { displayName: false, avatar: false };
const media = new LocalMedia();
// Opened at once, while the page joins: the first link waits for them, and a camera takes longest to start. They are
// shown, sent and reported (cameraError/micError) only once admitted; a refused page stops them (finish).
const acquiring = media.acquire(['audio', 'video']);
let mediaReady: Promise<unknown> = Promise.resolve();
let finished = false;
let leaveTimer: ReturnType<typeof setTimeout> | undefined;
const peers = new Map<string, PeerInfo>();
/** Set when the server said it is restarting: members missing from the next room list are coming back, not gone. */
let serverRestarted = false;
/** Members kept after a restart until they come back, or until the grace period (plus the server's margin) is over. */
const awaited = new Map<string, ReturnType<typeof setTimeout>>();

const signaling = new Signaling(
  `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/room/ws`,
  () => ({ type: 'join', roomName, jwt, displayName, audioMuted, videoMuted, resume: loadResume(roomName) }),
  { message: onMessage, reconnecting: () => !finished && view.setState('reconnecting') },
);

const mesh = new Mesh({
  iceServers: [],
  localStream: () => outgoing(),
  sendSignal: (to, data) => signaling.send({ type: 'signal', to, data }),
  onStream: (peerId, stream) => {
    view.attach(peerId, stream);
    for (const video of view.remoteVideos()) void devices.applyOutput(video);
  },
  onConnectionState: () => {},
});

/** Each link's quality on its tile and to the embedding page (networkQualityChanged, our event); the summary to the server. */
const quality = new QualityMonitor({
  connections: () => mesh.connections(),
  expectsVideo: (id) => peers.get(id)?.videoMuted === false,
  changed: (id, q) => {
    view.setQuality(id, q.state);
    parent.emit('networkQualityChanged', { participantId: id, ...q });
  },
  overall: (state) => view.setQuality('local', state),
  report: (summary) => signaling.send({ type: 'quality', summary }),
});

/** The loudest participant: its tile is outlined, shown large when tile view is off, and the embedding page told (Jitsi's event). */
const speakers = new DominantSpeaker({
  connections: () => mesh.connections(),
  localId: () => me?.id,
  localMuted: () => audioMuted,
  changed: (id) => {
    view.setSpeaker(id === me?.id ? 'local' : id);
    parent.emit('dominantSpeakerChanged', { id });
  },
});

const role = (p: PeerInfo) => (p.moderator ? 'moderator' : 'participant');

function setSubject(subject: string) {
  view.setSubject(subject);
  parent.emit('subjectChange', { subject });
}

function setTileView(on: boolean) {
  if (on === view.tileViewOn) return;
  view.setTileView(on);
  parent.emit('tileViewChanged', { enabled: on });
}

/** A moderator muted everyone: mute that device here (the person may unmute again, as on Jitsi). */
function mutedByModerator(media: 'audio' | 'video') {
  if (media === 'audio' ? audioMuted : videoMuted) return;
  if (media === 'audio') audioMuted = true;
  else videoMuted = true;
  applyMute();
  parent.emit(media === 'audio' ? 'audioMuteStatusChanged' : 'videoMuteStatusChanged', { muted: true });
  view.notify(media === 'audio' ? t.mutedByModerator : t.cameraOffByModerator);
}

function onMessage(msg: ServerMessage) {
  if (finished) return;
  if (recording.onMessage(msg)) return;
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
      chat.setRecipients([...peers.values()]);
      refreshPresenters();
      people.show(me, [...peers.values()]);
      if (before.displayName !== msg.participant.displayName) {
        parent.emit('displayNameChange', { id: msg.participant.id, displayname: msg.participant.displayName });
      }
      if (before.avatar !== msg.participant.avatar) parent.emit('avatarChanged', { id: msg.participant.id, avatarURL: msg.participant.avatar ?? '' });
      if (before.moderator !== msg.participant.moderator) parent.emit('participantRoleChanged', { id: msg.participant.id, role: role(msg.participant) });
      return;
    }
    case 'participant-left':
      return removePeer(msg.id);
    case 'participant-kicked':
      // Jitsi's payload; `participantLeft` follows.
      return parent.emit('participantKickedOut', { kicked: { id: msg.id, local: false }, kicker: { id: msg.by ?? '' } });
    case 'kicked':
      if (me) parent.emit('participantKickedOut', { kicked: { id: me.id, local: true }, kicker: { id: msg.by ?? '' } });
      finish('refused');
      return view.showRefused(t.refusals.removed, '');
    case 'signal':
      // Not waiting for our devices: the answer carries empty slots that get the tracks once they open (startMedia).
      return mesh.handleSignal(msg.from, msg.data);
    case 'left':
      return finish('left');
    case 'ended':
      return finish('ended');
    case 'chat': {
      const nick = peers.get(msg.from)?.displayName ?? '?';
      chat.received(nick, msg.message, msg.private);
      return parent.emit('incomingMessage', { from: msg.from, nick, privateMessage: msg.private, message: msg.message, stamp: new Date().toISOString() });
    }
    case 'muted':
      return mutedByModerator(msg.media);
    case 'subject':
      return setSubject(msg.subject);
    case 'chat-saved':
      return chat.saveStatus(t.chatPanel.saved);
    case 'restarting':
      serverRestarted = true;
      for (const p of peers.values()) view.tile(p.id, { ...p, connected: false });
      return void view.setState('reconnecting');
    case 'error':
      if (msg.code === 'not_owner' || msg.code === 'save_failed' || (msg.code === 'unavailable' && !msg.fatal)) chat.saveStatus(t.chatPanel.saveFailed);
      return onError(msg.code, msg.message, msg.fatal);
  }
}

function onJoined(msg: Extract<ServerMessage, { type: 'joined' }>) {
  const first = me === undefined;
  performance.mark?.('v4h:joined');
  me = msg.you;
  fromToken = msg.fromToken;
  mesh.options.iceServers = msg.iceServers;
  chat.allowSaving(msg.you.moderator);
  saveResume(roomName, { participantId: msg.you.id, resumeKey: msg.resumeKey });
  // After a reconnection every link is renegotiated; members that left meanwhile are dropped.
  mesh.dropAll();
  const present = new Set(msg.participants.map((p) => p.id));
  for (const [id, p] of peers) {
    if (present.has(id) || awaited.has(id)) continue;
    if (!serverRestarted) {
      removePeer(id);
      continue;
    }
    // The new server process has not seen this member yet: it reconnects too, within the grace period.
    view.tile(id, { ...p, connected: false });
    awaited.set(
      id,
      setTimeout(() => (awaited.delete(id), removePeer(id)), ((msg.graceSeconds ?? 15) + 5) * 1000),
    );
  }
  serverRestarted = false;
  if (first) {
    parent.emit('videoConferenceJoined', { roomName, id: me.id, displayName: me.displayName, avatarURL: me.avatar ?? '', breakoutRoom: false, visitor: false });
    mediaReady = startMedia();
    quality.start();
    speakers.start();
    parent.emit('participantRoleChanged', { id: me.id, role: role(me) });
    view.muteEveryone.hidden = !me.moderator;
    recording.joined(me);
  }
  if (msg.subject && msg.subject !== $('subject-text').textContent) setSubject(msg.subject);
  for (const p of msg.participants) addPeer(p);
  refreshState();
  // Negotiated and connected while the devices open (in parallel, not after them): the slots get the tracks then.
  for (const p of msg.participants) if (peers.has(p.id)) mesh.connectTo(p.id);
}

async function startMedia() {
  const { added, failures } = await acquiring;
  performance.mark?.('v4h:gum');
  if (finished) return media.stop();
  // A device we could not get counts as muted: isAudioMuted()/isVideoMuted() and the buttons say so.
  if (!media.track('audio')) audioMuted = true;
  if (!media.track('video')) videoMuted = true;
  applyMute();
  // Into the links negotiated meanwhile (muted first, when starting muted); links made from now on take them anyway.
  for (const track of added) sendTrack(track.kind as MediaKind, track);
  showLocal();
  reportFailures(failures);
}

function showLocal() {
  const video = view.tile('local', localTileInfo(), true);
  // Re-attached so that a track added later (a device allowed afterwards) shows.
  video.srcObject = null;
  video.srcObject = share.track ? new MediaStream([share.track]) : media.stream;
  video.play().catch(() => {});
}

/** What the peers get: our microphone, and the screen while sharing, else the camera. */
function outgoing(): MediaStream {
  return share.track ? new MediaStream([...media.stream.getAudioTracks(), share.track]) : media.stream;
}

/** Sends a new device track, except a camera while the screen is being sent in its place. */
function sendTrack(kind: MediaKind, track: MediaStreamTrack) {
  if (kind === 'video' && share.on) return;
  mesh.replaceTrack(kind, track);
}

let presenters: string[] = [];

/** Shows shared screens large and tells the embedding page who shares (Jitsi's contentSharingParticipantsChanged). */
function refreshPresenters() {
  const ids = [...peers.values()].filter((p) => p.screenSharing).map((p) => p.id);
  if (share.on) ids.unshift('local');
  view.setPresenters(ids);
  const reported = ids.map((id) => (id === 'local' ? (me?.id ?? id) : id));
  if (reported.join() !== presenters.join()) {
    presenters = reported;
    parent.emit('contentSharingParticipantsChanged', { data: reported });
  }
}

/** Tells the embedding page (cameraError / micError, as Jitsi) and the person (what is wrong, how to fix it). */
function reportFailures(failures: MediaFailure[]) {
  for (const f of failures) parent.emit(f.kind === 'video' ? 'cameraError' : 'micError', { type: f.jitsiType, message: f.message });
  if (failures.length) notice.show(failures);
}

/** Starts a device we have no track for (Unmute, Start camera, Try again, a device chosen); explains a failure. */
async function enable(kind: MediaKind): Promise<boolean> {
  const { added, failures } = await media.acquire([kind]);
  if (finished) return false;
  reportFailures(failures);
  for (const track of added) sendTrack(kind, track);
  if (!added.length) return false;
  if (kind === 'audio') audioMuted = false;
  else videoMuted = false;
  applyMute();
  showLocal();
  parent.emit(kind === 'audio' ? 'audioMuteStatusChanged' : 'videoMuteStatusChanged', { muted: false });
  if (media.track('audio') && media.track('video')) notice.hide();
  return true;
}

let toggling = false;

async function toggle(kind: MediaKind) {
  if (toggling || finished || !me) return;
  toggling = true;
  try {
    // A toggle right after videoConferenceJoined comes while the devices are still being opened: wait for them, or
    // the missing track reads as "blocked" and the toggle would start (unmute) instead of mute.
    await mediaReady.catch(() => {});
    if (finished) return;
    if (!media.track(kind)) return void (await enable(kind));
    if (kind === 'audio') audioMuted = !audioMuted;
    else videoMuted = !videoMuted;
    applyMute();
    parent.emit(kind === 'audio' ? 'audioMuteStatusChanged' : 'videoMuteStatusChanged', { muted: kind === 'audio' ? audioMuted : videoMuted });
  } finally {
    toggling = false;
  }
}

function stopMedia() {
  share.stop();
  media.stop();
}

const localTileInfo = () => ({
  displayName: me?.displayName ?? displayName ?? t.you,
  avatar: me?.avatar ?? null,
  audioMuted,
  videoMuted,
  account: me?.account,
});

function applyMute() {
  for (const track of media.stream.getAudioTracks()) track.enabled = !audioMuted;
  for (const track of media.stream.getVideoTracks()) track.enabled = !videoMuted;
  view.setToggles(audioMuted, videoMuted);
  if (me) view.tile('local', localTileInfo(), true);
  signaling.send({ type: 'mute', audio: audioMuted, video: videoMuted });
}

function addPeer(p: PeerInfo) {
  clearTimeout(awaited.get(p.id));
  awaited.delete(p.id);
  const known = peers.has(p.id);
  peers.set(p.id, p);
  view.tile(p.id, p);
  if (!known) {
    parent.emit('participantJoined', { id: p.id, displayName: p.displayName });
    // Jitsi announces a role once it is known; everyone starts as a participant.
    if (p.moderator) parent.emit('participantRoleChanged', { id: p.id, role: 'moderator' });
  }
  chat.setRecipients([...peers.values()]);
  refreshPresenters();
  refreshState();
}

function removePeer(id: string) {
  clearTimeout(awaited.get(id));
  awaited.delete(id);
  mesh.drop(id);
  view.removeTile(id);
  if (peers.delete(id)) parent.emit('participantLeft', { id });
  chat.setRecipients([...peers.values()]);
  refreshPresenters();
  refreshState();
}

function refreshState() {
  if (!finished && me) view.setState(peers.size ? 'in-call' : 'waiting');
  people.show(me, [...peers.values()]);
}

function onError(code: RoomErrorCode, message: string, fatal: boolean) {
  parent.emit('errorOccurred', { error: { ...jitsiError(code), message, isFatal: fatal, code } });
  if (!fatal) return;
  if (me && code === 'conference_ended') return finish('ended');
  const wasIn = me !== undefined;
  finish('refused');
  // A known refusal has its own title in the page's language; the server's (English, technical) message would only
  // say it again ("This call has ended" / "this conference has ended"), so it shows only under the generic title.
  const title = (t.refusals as Partial<Record<RoomErrorCode, string>>)[code];
  view.showRefused(title ?? t.refusedDefault, title ? '' : message);
  if (!wasIn) saveResume(roomName, null);
}

function finish(state: PageState) {
  if (finished) return;
  finished = true;
  recording.finish();
  clearTimeout(leaveTimer);
  quality.stop();
  speakers.stop();
  signaling.stop();
  mesh.dropAll();
  stopMedia();
  saveResume(roomName, null);
  for (const timer of awaited.values()) clearTimeout(timer);
  awaited.clear();
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
  // The call's quality summary first: the server keeps it with the leave (no personal data, numbers only).
  const summary = quality.summary();
  if (summary.samples) signaling.send({ type: 'quality', summary });
  // Wait for the server to record the leave (its 'left' reply finishes), but not forever.
  signaling.send({ type: 'leave' });
  leaveTimer = setTimeout(() => finish('left'), 2000);
}

const commands: Record<string, (...args: unknown[]) => void> = {
  hangup,
  endConference: () => signaling.send({ type: 'end' }),
  // Jitsi's kickParticipant(participantId): the moderator only (others get errorOccurred not_moderator).
  kickParticipant: (id) => {
    if (typeof id === 'string' && id) signaling.send({ type: 'kick', id });
  },
  sendChatMessage: (message, to) => {
    if (typeof message === 'string') chat.sendFromPage(message, typeof to === 'string' && to ? to : undefined);
  },
  toggleChat: () => chat.toggle(),
  toggleShareScreen: (options) => {
    const enable = (options as { enable?: unknown } | undefined)?.enable;
    void share.toggle(typeof enable === 'boolean' ? enable : undefined);
  },
  toggleTileView: () => setTileView(!view.tileViewOn),
  setTileView: (enabled) => setTileView(enabled !== false),
  muteEveryone: (mediaType) => signaling.send({ type: 'mute-everyone', media: mediaType === 'video' ? 'video' : 'audio' }),
  subject: (subject) => {
    if (typeof subject === 'string') signaling.send({ type: 'subject', subject: subject.slice(0, SUBJECT_MAX) });
  },
  startRecording: (options) => recording.start(options),
  stopRecording: () => recording.stop(),
  toggleAudio: () => void toggle('audio'),
  toggleVideo: () => void toggle('video'),
  displayName: (name) => {
    if (typeof name !== 'string' || !name.trim() || fromToken.displayName) return;
    displayName = name.trim().slice(0, 200);
    if (me) me.displayName = displayName;
    signaling.send({ type: 'profile', displayName });
    if (me) {
      view.tile('local', localTileInfo(), true);
      people.show(me, [...peers.values()]);
      parent.emit('displayNameChange', { id: me.id, displayname: displayName });
    }
  },
  avatarUrl: (url) => {
    if (typeof url !== 'string' || !/^(https?:|data:image\/)/i.test(url) || fromToken.avatar) return;
    if (me) me.avatar = url;
    signaling.send({ type: 'profile', avatar: url });
    if (me) {
      view.tile('local', localTileInfo(), true);
      parent.emit('avatarChanged', { id: me.id, avatarURL: url });
    }
  },
};

const chat = new ChatPanel({
  send: (message, to) => {
    signaling.send({ type: 'chat', message, ...(to ? { to } : {}) });
    parent.emit('outgoingMessage', { message, privateMessage: !!to });
  },
  save: (transcript) => {
    chat.saveStatus('');
    signaling.send({ type: 'save-chat', transcript: transcript.slice(-TRANSCRIPT_MAX) });
  },
  name: (id) => peers.get(id)?.displayName,
  updated: (state) => parent.emit('chatUpdated', state),
});

const share = new ScreenShare({
  sendVideo: (track) => mesh.replaceTrack('video', track),
  changed: (on) => {
    if (!on) mesh.replaceTrack('video', media.track('video') ?? null);
    signaling.send({ type: 'share', on });
    if (me) showLocal();
    refreshPresenters();
    parent.emit('screenSharingStatusChanged', { on, details: on ? { sourceType: 'screen' } : {} });
  },
  failed: (error) => console.warn('v4h room: screen sharing did not start:', error),
});
if (navigator.mediaDevices && 'getDisplayMedia' in navigator.mediaDevices) {
  // Phones have no screen capture: the button appears only where it works.
  view.share.hidden = false;
  view.share.addEventListener('click', () => void share.toggle());
}

const recording = new RecordingControl({
  roomName,
  roomToken: jwt,
  send: (msg) => signaling.send(msg),
  me: () => me,
  peers: () => [...peers.values()],
  videoOf: (id) => view.videoOf(id),
  localAudio: () => media.track('audio'),
  emit: (name, data) => parent.emit(name, data),
  notify: (text) => view.notify(text),
});

const people = new PeoplePanel((id) => signaling.send({ type: 'kick', id }));

const notice = new MediaNotice(async () => {
  const missing = (['audio', 'video'] as const).filter((k) => !media.track(k));
  notice.hide();
  for (const kind of missing) await enable(kind);
});

const devices = new Devices({
  media,
  outputs: () => view.remoteVideos(),
  enable,
  switched: (kind, track) => {
    track.enabled = kind === 'audio' ? !audioMuted : !videoMuted;
    sendTrack(kind, track);
    showLocal();
  },
  failed: (f) => reportFailures([f]),
});

/** Answers to the IFrame API's getters. */
const requests: Record<string, (...args: unknown[]) => unknown> = {
  isAudioMuted: () => audioMuted,
  isVideoMuted: () => videoMuted,
  isSharingScreen: () => share.on,
  isTileViewOn: () => view.tileViewOn,
  getRoomsInfo: () => {
    const entry = (p: PeerInfo) => ({ id: p.id, jid: p.id, role: role(p), displayName: p.displayName, avatarUrl: p.avatar ?? undefined });
    return { rooms: [{ isMainRoom: true, id: roomName, jid: roomName, participants: me ? [entry(me), ...[...peers.values()].map(entry)] : [] }] };
  },
  getAvailableDevices: () => devices.available(),
  getCurrentDevices: () => devices.current(),
  isDeviceChangeAvailable: (type) => (type === 'output' ? devices.available().then((d) => d.audioOutput.length > 0) : true),
  isDeviceListAvailable: () => typeof navigator.mediaDevices?.enumerateDevices === 'function',
  isMultipleAudioInputSupported: () => true,
  // After the first devices opened: a device chosen meanwhile switches to it rather than opening a second track.
  setDevice: (key, label, id) =>
    ['audioInput', 'videoInput', 'audioOutput'].includes(key as string) ? acquiring.then(() => devices.set(key as DeviceKey, label, id)) : false,
};

parent.onCommand((name, args) => {
  const command = commands[name];
  if (command) command(...args);
  else console.warn('Not supported command name.', name);
});
parent.onRequest(async (name, args) => {
  const answer = requests[name];
  if (!answer) throw new Error(`Not supported request ${name}`);
  return answer(...args);
});
view.mic.addEventListener('click', () => void toggle('audio'));
view.cam.addEventListener('click', () => void toggle('video'));
view.hangup.addEventListener('click', hangup);
view.tileView.addEventListener('click', () => setTileView(!view.tileViewOn));
// The phone layout already shows the other person large: no tile view button there.
const narrow = matchMedia('(max-width: 640px)');
const showTileView = () => (view.tileView.hidden = narrow.matches);
narrow.addEventListener('change', showTileView);
showTileView();
view.muteEveryone.addEventListener('click', () => commands.muteEveryone('audio'));
view.setToggles(audioMuted, videoMuted);
signaling.start();
