// Stand-in for Jitsi Meet's external_api.js (tests only, never shipped), written from the documented IFrame API:
// new JitsiMeetExternalAPI(domain, { roomName, width, height, parentNode, jwt, userInfo, configOverwrite,
// interfaceConfigOverwrite, onload }) builds <scheme>://<domain>/<room>?jwt=…#jitsi_meet_external_api_id=N&jwt="…"&…,
// talks to the iframe by postMessage (commands down, events up) and is an EventEmitter; dispose() removes the iframe.
// Like real Jitsi it always opens https://<domain>/<room>, where domain may carry a path (sub-path, tenant).
(function () {
  var nextId = 0;

  // Jitsi's rule: a number is pixels; a string must be a CSS length, otherwise it is ignored.
  function size(value, fallback) {
    if (typeof value === 'number') return value + 'px';
    if (typeof value === 'string' && /([0-9]*\.?[0-9]+)(em|pt|px|((d|l|s)?v)(h|w)|%)$/.test(value)) return value;
    return fallback;
  }
  function hashParam(key, value) {
    return encodeURIComponent(key) + '=' + encodeURIComponent(JSON.stringify(value));
  }

  function JitsiMeetExternalAPI(domain, options) {
    options = options || {};
    var self = this;
    this._id = nextId++;
    this._listeners = {};
    this._base = 'https://' + domain + '/';
    this._origin = new URL(this._base).origin;
    this._queue = [];
    this._ready = false;
    var room = options.roomName || '';
    var hash = ['jitsi_meet_external_api_id=' + this._id];
    if (options.jwt) hash.push(hashParam('jwt', options.jwt));
    var config = options.configOverwrite || {};
    Object.keys(config).forEach(function (k) {
      hash.push(hashParam('config.' + k, config[k]));
    });
    var iface = options.interfaceConfigOverwrite || {};
    Object.keys(iface).forEach(function (k) {
      hash.push(hashParam('interfaceConfig.' + k, iface[k]));
    });
    var user = options.userInfo || {};
    if (user.displayName) hash.push(hashParam('userInfo.displayName', user.displayName));
    if (user.email) hash.push(hashParam('userInfo.email', user.email));

    var frame = document.createElement('iframe');
    frame.id = frame.name = 'jitsiConferenceFrame' + this._id;
    frame.allow = 'camera; microphone; display-capture; autoplay; clipboard-write';
    frame.setAttribute('allowfullscreen', 'true');
    frame.style.border = '0';
    frame.style.width = size(options.width, '100%');
    frame.style.height = size(options.height, '100%');
    frame.src = this._base + room + (options.jwt ? '?jwt=' + encodeURIComponent(options.jwt) : '') + '#' + hash.join('&');
    (options.parentNode || document.body).appendChild(frame);
    this._frame = frame;
    this._onload = options.onload;
    this._onMessage = function (event) {
      self._receive(event);
    };
    window.addEventListener('message', this._onMessage);
  }

  JitsiMeetExternalAPI.prototype._receive = function (event) {
    var data = event.data;
    if (event.origin !== this._origin || event.source !== this._frame.contentWindow) return;
    if (!data || data.standInJitsi !== this._id || data.type !== 'event') return;
    if (data.name === 'ready') {
      this._ready = true;
      var queued = this._queue.splice(0);
      for (var i = 0; i < queued.length; i++) this._post(queued[i]);
      if (this._onload) this._onload();
      return;
    }
    this.emit(data.name, data.data || {});
  };
  JitsiMeetExternalAPI.prototype._post = function (message) {
    if (!this._ready) return void this._queue.push(message);
    this._frame.contentWindow.postMessage(message, this._origin);
  };
  JitsiMeetExternalAPI.prototype.executeCommand = function (name) {
    this._post({ standInJitsi: this._id, type: 'command', name: name, args: Array.prototype.slice.call(arguments, 1) });
  };
  JitsiMeetExternalAPI.prototype.executeCommands = function (commands) {
    var self = this;
    Object.keys(commands).forEach(function (name) {
      self.executeCommand.apply(self, [name].concat(commands[name]));
    });
  };
  JitsiMeetExternalAPI.prototype.on = JitsiMeetExternalAPI.prototype.addListener = function (name, listener) {
    (this._listeners[name] = this._listeners[name] || []).push(listener);
    return this;
  };
  JitsiMeetExternalAPI.prototype.off = JitsiMeetExternalAPI.prototype.removeListener = function (name, listener) {
    this._listeners[name] = (this._listeners[name] || []).filter(function (l) {
      return l !== listener && l._original !== listener;
    });
    return this;
  };
  JitsiMeetExternalAPI.prototype.once = function (name, listener) {
    var self = this;
    var wrapper = function (payload) {
      self.off(name, wrapper);
      listener(payload);
    };
    wrapper._original = listener;
    return this.on(name, wrapper);
  };
  JitsiMeetExternalAPI.prototype.emit = function (name, payload) {
    (this._listeners[name] || []).slice().forEach(function (l) {
      l(payload);
    });
  };
  JitsiMeetExternalAPI.prototype.getIFrame = function () {
    return this._frame;
  };
  JitsiMeetExternalAPI.prototype.isAudioMuted = function () {
    return Promise.resolve(false);
  };
  JitsiMeetExternalAPI.prototype.isVideoMuted = function () {
    return Promise.resolve(false);
  };
  JitsiMeetExternalAPI.prototype.dispose = function () {
    window.removeEventListener('message', this._onMessage);
    this._listeners = {};
    this._frame.remove();
  };

  window.JitsiMeetExternalAPI = JitsiMeetExternalAPI;
})();
