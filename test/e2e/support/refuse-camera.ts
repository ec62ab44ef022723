// An init script that refuses the camera as a browser does when the user says no (the fake UI would allow everything).
export const REFUSE_CAMERA = `(() => {
  const media = navigator.mediaDevices;
  const original = media.getUserMedia.bind(media);
  media.getUserMedia = (constraints) =>
    constraints && constraints.video ? Promise.reject(new DOMException('Permission denied', 'NotAllowedError')) : original(constraints);
})();`;
