// Device choice: the IFrame API's device calls and the page's "Devices" panel, over the same functions.
import type { LocalMedia, MediaFailure, MediaKind } from './local-media.js';
import { t } from './page-strings.js';
import { $ } from './view.js';

export type DeviceKey = 'audioInput' | 'videoInput' | 'audioOutput';

/** A device as the IFrame API returns it (MediaDeviceInfo's fields, plain for postMessage). */
export interface DeviceEntry {
  deviceId: string;
  groupId: string;
  kind: MediaDeviceKind;
  label: string;
}

const BROWSER_KIND: Record<DeviceKey, MediaDeviceKind> = { audioInput: 'audioinput', videoInput: 'videoinput', audioOutput: 'audiooutput' };

/** Whether this browser can route the call's sound to a chosen speaker. */
export const canChooseOutput = typeof HTMLMediaElement !== 'undefined' && 'setSinkId' in HTMLMediaElement.prototype;

export interface DevicesDeps {
  media: LocalMedia;
  /** The elements whose sound goes to the chosen speaker. */
  outputs(): HTMLMediaElement[];
  /** A kind we had no track for must be started (it may fail and be explained). */
  enable(kind: MediaKind): Promise<boolean>;
  /** A new track replaced the old one: send it to the peers. */
  switched(kind: MediaKind, track: MediaStreamTrack): void;
  failed(failure: MediaFailure): void;
}

/** Lists, reports and switches devices. */
export class Devices {
  constructor(readonly deps: DevicesDeps) {
    const panel = $('devices');
    const toggle = $<HTMLButtonElement>('devices-toggle');
    toggle.hidden = false;
    if (!canChooseOutput) $('device-audioOutput-label').hidden = true;
    const show = (open: boolean) => {
      panel.hidden = !open;
      toggle.setAttribute('aria-pressed', String(open));
      if (open) void this.#fill();
    };
    toggle.addEventListener('click', () => show(panel.hidden));
    $('devices-close').addEventListener('click', () => show(false));
    for (const key of Object.keys(BROWSER_KIND) as DeviceKey[]) {
      $<HTMLSelectElement>(`device-${key}`).addEventListener('change', (e) => void this.set(key, undefined, (e.target as HTMLSelectElement).value));
    }
    navigator.mediaDevices?.addEventListener?.('devicechange', () => {
      if (!panel.hidden) void this.#fill();
    });
  }

  async available(): Promise<Record<DeviceKey, DeviceEntry[]>> {
    const all = (await navigator.mediaDevices?.enumerateDevices?.()) ?? [];
    const of = (key: DeviceKey) =>
      all.filter((d) => d.kind === BROWSER_KIND[key] && d.deviceId).map((d) => ({ deviceId: d.deviceId, groupId: d.groupId, kind: d.kind, label: d.label }));
    return { audioInput: of('audioInput'), videoInput: of('videoInput'), audioOutput: canChooseOutput ? of('audioOutput') : [] };
  }

  async current(): Promise<Record<DeviceKey, DeviceEntry | undefined>> {
    const list = await this.available();
    const { media } = this.deps;
    const byId = (key: DeviceKey, id: string | undefined) => (id ? list[key].find((d) => d.deviceId === id) : undefined);
    return {
      audioInput: byId('audioInput', media.deviceOf('audio')),
      videoInput: byId('videoInput', media.deviceOf('video')),
      audioOutput: byId('audioOutput', media.chosen.audioOutput) ?? list.audioOutput.find((d) => d.deviceId === 'default') ?? list.audioOutput[0],
    };
  }

  /** Jitsi's rule: the id when given, else the label. True when the device is now in use. */
  async set(key: DeviceKey, label: unknown, deviceId: unknown): Promise<boolean> {
    const list = (await this.available())[key];
    const device =
      list.find((d) => typeof deviceId === 'string' && deviceId && d.deviceId === deviceId) ??
      list.find((d) => typeof label === 'string' && label && d.label === label);
    if (!device) return false;
    const { media } = this.deps;
    if (key === 'audioOutput') {
      if (!canChooseOutput) return false;
      media.chosen.audioOutput = device.deviceId;
      await Promise.all(this.deps.outputs().map((el) => this.applyOutput(el)));
      return true;
    }
    const kind: MediaKind = key === 'audioInput' ? 'audio' : 'video';
    if (!media.track(kind)) {
      media.chosen[key] = device.deviceId;
      return this.deps.enable(kind);
    }
    const { track, failure } = await media.switchTo(kind, device.deviceId);
    if (failure) {
      this.deps.failed(failure);
      return false;
    }
    if (track) this.deps.switched(kind, track);
    return true;
  }

  /** Sends an element's sound to the chosen speaker. */
  async applyOutput(el: HTMLMediaElement) {
    const id = this.deps.media.chosen.audioOutput;
    if (!canChooseOutput || !id) return;
    await (el as HTMLMediaElement & { setSinkId(id: string): Promise<void> }).setSinkId(id).catch(() => {});
  }

  async #fill() {
    const [list, current] = await Promise.all([this.available(), this.current()]);
    for (const key of Object.keys(BROWSER_KIND) as DeviceKey[]) {
      const select = $<HTMLSelectElement>(`device-${key}`);
      select.replaceChildren(
        ...list[key].map(
          (d, i) =>
            new Option(
              d.label || `${key === 'audioOutput' ? t.devices.speaker : key === 'audioInput' ? t.devices.microphone : t.devices.camera} ${i + 1}`,
              d.deviceId,
            ),
        ),
      );
      if (!list[key].length) select.append(new Option(t.devices.none, ''));
      select.disabled = !list[key].length;
      if (current[key]) select.value = current[key].deviceId;
    }
  }
}
