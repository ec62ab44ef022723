// Stand-in Jitsi meeting page (tests only): joins the room over the stand-in's event stream when its token is
// accepted, reports IFrame API events to the embedding page, and obeys its commands (hangup, endConference, …).
// Recording as jitsi-meet reports it (API.js notifyRecordingStatusChanged → `recordingStatusChanged { on, mode, error,
// transcription }`): with a recorder (Jibri), a start reaches everyone in the room; without one, jicofo answers the
// starter's request with lib-jitsi-meet's recording error `service-unavailable`.
(function () {
  var main = document.querySelector('main');
  var room = main.dataset.room;
  var hash = new URLSearchParams(location.hash.slice(1));
  var apiId = hash.get('jitsi_meet_external_api_id');
  var parse = function (key) {
    try {
      return JSON.parse(hash.get(key));
    } catch {
      return null;
    }
  };
  var name = parse('userInfo.displayName') || main.dataset.tokenName || 'Fellow Jitster';
  var me = 'p' + Math.random().toString(36).slice(2, 10);
  var stream = null;
  var left = false;
  var status = document.getElementById('status');
  var list = document.getElementById('participants');

  function post(event, data) {
    if (apiId !== null) window.parent.postMessage({ standInJitsi: Number(apiId), type: 'event', name: event, data: data || {} }, '*');
  }
  function show(state, text) {
    main.dataset.state = state;
    status.textContent = text;
  }
  function render(participants) {
    list.replaceChildren.apply(
      list,
      participants.map(function (p) {
        var li = document.createElement('li');
        li.textContent = p.displayName + (p.id === me ? ' (you)' : '');
        li.dataset.id = p.id;
        return li;
      }),
    );
  }
  function leave() {
    if (left) return;
    left = true;
    if (stream) stream.close();
    show('left', 'You left the meeting.');
    post('videoConferenceLeft', { roomName: room });
    post('readyToClose', {});
  }

  // startRecording({ mode }) / stopRecording(mode): Jitsi ignores a mode other than file or stream.
  function record(on, arg) {
    var mode = on ? arg && arg.mode : arg;
    if (mode !== 'file' && mode !== 'stream') return;
    if (on && main.dataset.recorder !== 'true') {
      post('recordingStatusChanged', { on: false, mode: mode, error: 'service-unavailable', transcription: false });
      return;
    }
    fetch('/_stand-in/rooms/' + encodeURIComponent(room) + '/recording?on=' + on + '&mode=' + mode, { method: 'POST' });
  }

  post('ready');
  main.dataset.name = name;
  if (main.dataset.token === 'invalid' || main.dataset.token === 'missing') {
    show('refused', 'Authentication failed: ' + main.dataset.tokenError);
    post('errorOccurred', { error: { name: 'conference.connectionError.notAllowed', message: main.dataset.tokenError, type: 'CONNECTION', isFatal: true } });
  } else {
    var participants = [];
    stream = new EventSource('/_stand-in/rooms/' + encodeURIComponent(room) + '/events?id=' + me + '&name=' + encodeURIComponent(name));
    stream.addEventListener('welcome', function (e) {
      participants = JSON.parse(e.data);
      render(participants);
      show('joined', 'In the meeting as ' + name + '.');
      post('videoConferenceJoined', { roomName: room, id: me, displayName: name, avatarURL: main.dataset.tokenAvatar || undefined });
      participants.forEach(function (p) {
        if (p.id !== me) post('participantJoined', { id: p.id, displayName: p.displayName });
      });
    });
    stream.addEventListener('joined', function (e) {
      var p = JSON.parse(e.data);
      participants.push(p);
      render(participants);
      post('participantJoined', { id: p.id, displayName: p.displayName });
    });
    stream.addEventListener('left', function (e) {
      var p = JSON.parse(e.data);
      participants = participants.filter(function (q) {
        return q.id !== p.id;
      });
      render(participants);
      post('participantLeft', { id: p.id });
    });
    stream.addEventListener('recording', function (e) {
      var r = JSON.parse(e.data);
      main.dataset.recording = r.on ? 'on' : 'off';
      post('recordingStatusChanged', { on: r.on, mode: r.mode, error: undefined, transcription: false });
    });
    stream.addEventListener('ended', leave);
    // Moved to a breakout room: Jitsi leaves the main conference and joins the breakout one shortly after.
    stream.addEventListener('breakout', function () {
      post('videoConferenceLeft', { roomName: room });
      setTimeout(function () {
        post('videoConferenceJoined', { roomName: room + '-breakout', id: me, displayName: name, breakoutRoom: true });
      }, 300);
    });
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (event.source !== window.parent || !data || data.standInJitsi !== Number(apiId) || data.type !== 'command') return;
    var args = data.args || [];
    main.dataset.lastCommand = data.name;
    main.dataset.lastCommandArgs = JSON.stringify(args);
    if (data.name === 'hangup') leave();
    else if (data.name === 'endConference') fetch('/_stand-in/rooms/' + encodeURIComponent(room) + '/end', { method: 'POST' }).then(leave, leave);
    else if (data.name === 'avatarUrl') main.dataset.avatar = args[0];
    else if (data.name === 'displayName') main.dataset.name = args[0];
    // Jitsi takes it from a moderator only (toggle-lobby); the stand-in shows what it was asked.
    else if (data.name === 'toggleLobby') main.dataset.lobby = String(args[0]);
    else if (data.name === 'startRecording' || data.name === 'stopRecording') record(data.name === 'startRecording', args[0]);
  });
  document.getElementById('hangup').addEventListener('click', leave);
})();
