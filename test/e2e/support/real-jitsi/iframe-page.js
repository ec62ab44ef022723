// The meeting page the real IFrame API talks to, for tests: it speaks jitsi-meet's own postMessage transport
// (@jitsi/js-utils), reports what its <html data-behaviour> says (join, fatal, password, breakout: moves on joinBreakoutRoom) and obeys
// video-hangup/end-conference (executeCommand's hangup/endConference) by leaving, as Jitsi does.
import { PostMessageTransportBackend, Transport } from '@jitsi/js-utils/transport';

const id = new URLSearchParams(location.hash.slice(1)).get('jitsi_meet_external_api_id');
const transport = new Transport({
  backend: new PostMessageTransportBackend({ postisOptions: { scope: `jitsi_meet_external_api_${id}`, window: window.parent } }),
});
const roomName = location.pathname.split('/').pop();
const behaviour = document.documentElement.dataset.behaviour;
const me = `p${Math.random().toString(36).slice(2, 8)}`;
let left = false;

function leave() {
  if (left) return;
  left = true;
  transport.sendEvent({ name: 'video-conference-left', roomName });
  transport.sendEvent({ name: 'video-ready-to-close' });
}

transport.on('event', (event) => {
  document.documentElement.dataset.commands = `${document.documentElement.dataset.commands ?? ''} ${event.name}`.trim();
  if (event.name === 'video-hangup' || event.name === 'end-conference') leave();
  // executeCommand('joinBreakoutRoom', id): Jitsi leaves the main room and joins the breakout one.
  if (event.name === 'join-breakout-room' && behaviour === 'breakout') {
    transport.sendEvent({ name: 'video-conference-left', roomName });
    setTimeout(
      () => transport.sendEvent({ name: 'video-conference-joined', roomName: `${roomName}-breakout`, id: me, displayName: 'Dr. Real', breakoutRoom: true }),
      300,
    );
  }
  return true;
});

transport.sendEvent({ name: 'ready' });
if (behaviour === 'fatal') {
  transport.sendEvent({ name: 'error-occurred', error: { name: 'conference.authenticationRequired', message: '', type: 'CONFERENCE', isFatal: true } });
} else if (behaviour === 'password') {
  transport.sendEvent({ name: 'password-required' });
} else {
  transport.sendEvent({ name: 'video-conference-joined', roomName, id: me, displayName: 'Dr. Real' });
}
