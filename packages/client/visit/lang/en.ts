// Every English string of the guest page (/visit/): index.html has structure and ids, no words.
import type { PrecheckReason } from '../../src/precheck/classify.js';

/** The guest page's strings; pt-BR.ts must provide the same keys (the type checks it). */
export const en = {
  htmlLang: 'en',
  pageTitle: 'Your video visit',
  /** The link to the page in the other language, written in that language. */
  otherLanguage: { lang: 'pt-BR', label: 'Português' },
  defaultBrand: 'Video visit',
  clinician: 'the clinician',
  loading: 'Opening your visit…',
  welcome: {
    title: (host: string) => `Your visit with ${host}`,
    lead: 'Type your name as the clinic knows you. While you wait, we check your camera, microphone and connection.',
    name: 'Your name',
    submit: 'Enter the waiting room',
    nameMissing: 'Please type your name.',
  },
  waiting: {
    title: (host: string) => `Waiting for ${host}`,
    lead: (host: string) => `${host} will let you in. Keep this page open; you will join the call here.`,
    inQueue: 'You are in the waiting room.',
    leave: 'Leave the waiting room',
    admitted: 'You have been let in. Joining the call…',
    reconnecting: 'The connection dropped. Reconnecting…',
  },
  check: {
    title: 'Your camera, microphone and connection',
    preview: 'Your camera',
    camera: 'Camera',
    microphone: 'Microphone',
    connection: 'Connection',
    running: 'Checking…',
    again: 'Check again',
    ok: 'Working',
    notWorking: 'Not working',
    noSound: 'No sound heard',
    skipped: 'Not checked',
    connectionGood: 'Good',
    connectionWarning: 'Could be better',
    connectionBad: 'Poor',
    connectionFailed: 'Not connected',
    summary: {
      good: 'Everything works. You are ready for your visit.',
      warning: 'You can have your visit, but something could be better:',
      bad: 'Something needs fixing before your visit:',
    },
    /** What to do, one sentence per finding. */
    advice: {
      camera_denied: 'Allow the camera in your browser (the camera symbol in the address bar or the site settings), then press “Check again”.',
      camera_not_found: 'No camera was found. Connect one, or have your visit by voice only.',
      camera_in_use: 'Another app is using your camera. Close it, then press “Check again”.',
      camera_no_signal: 'Your camera shows no picture. Check that it is not covered or switched off.',
      camera_error: 'Your camera could not be opened. Restart the browser and try again.',
      microphone_denied: 'Allow the microphone in your browser (the symbol in the address bar or the site settings), then press “Check again”.',
      microphone_not_found: 'No microphone was found. Connect a headset or a microphone, then press “Check again”.',
      microphone_in_use: 'Another app is using your microphone. Close it, then press “Check again”.',
      microphone_no_signal: 'We heard nothing. Say a few words, and check that your microphone is not muted.',
      microphone_error: 'Your microphone could not be opened. Restart the browser and try again.',
      network_failed: 'Video cannot get through your connection. Try another network: Wi-Fi or mobile data.',
      relay_unreachable: 'Your network blocks part of the video traffic. If the call does not connect, try another network.',
      rtt: 'Your connection is slow: move closer to the Wi-Fi router, or pause downloads and videos on other devices.',
      packet_loss: 'Your connection is losing data: move closer to the Wi-Fi router, or switch to mobile data.',
      jitter: 'Your connection is unsteady: move closer to the Wi-Fi router, and close apps you do not need.',
      bitrate: 'Your connection is weak: move closer to the Wi-Fi, or pause downloads and videos on other devices.',
    } satisfies Record<PrecheckReason, string>,
  },
  call: {
    frame: 'Video call',
  },
  end: {
    ended: { title: 'This visit has ended', lead: 'Thank you. You can close this page.' },
    denied: { title: 'The clinician could not admit you', lead: 'Please contact the clinic if you think this is a mistake.' },
    left: { title: 'You left the waiting room', lead: 'You can go back to it with the same link.' },
    invalid: { title: 'This link does not work', lead: 'It may have expired. Ask the clinic for a new one.' },
    early: { title: 'Your visit has not opened yet', lead: 'Come back at the time of your appointment.' },
    expired: { title: 'This link has expired', lead: 'The time of this appointment is over. Ask the clinic for a new link.' },
    error: { title: 'Something went wrong', lead: 'Check your connection and reload the page.' },
    back: 'Go back to the waiting room',
    reason: (words: string) => `From the clinic: “${words}”`,
    opensAt: (time: string) => `It opens on ${time}. Keep this page open: it will let you in by itself then.`,
  },
};

export type Strings = typeof en;
