// The pre-call check's verdict against the published thresholds it cites (Daily, Jitsi, Twilio), edges included.
import { describe, expect, it } from 'vitest';
import { classifyPrecheck, deviation, MIN_LEVEL_DEVIATION, type DeviceState, type NetworkFigures } from './classify.js';

const fine: NetworkFigures = { connectivity: 'relay', rttMs: 40, jitterMs: 5, packetLoss: 0, bitrateKbps: 2500 };
const verdict = (network: Partial<NetworkFigures>, devices: { camera?: DeviceState; microphone?: DeviceState } = {}, relayUnreachable = false) =>
  classifyPrecheck({ camera: devices.camera ?? 'ok', microphone: devices.microphone ?? 'ok', network: { ...fine, ...network }, relayUnreachable });

describe('classifyPrecheck', () => {
  it('is good with working devices and a path within every limit', () => {
    expect(verdict({})).toEqual({ result: 'good', reasons: [] });
    expect(verdict({ connectivity: 'direct' })).toEqual({ result: 'good', reasons: [] });
  });

  it("round-trip time: Daily's < 300 ms good, 300–600 ms warning, ≥ 600 ms bad", () => {
    expect(verdict({ rttMs: 299 }).result).toBe('good');
    expect(verdict({ rttMs: 300 })).toEqual({ result: 'warning', reasons: ['rtt'] });
    expect(verdict({ rttMs: 599 }).result).toBe('warning');
    expect(verdict({ rttMs: 600 })).toEqual({ result: 'bad', reasons: ['rtt'] });
  });

  it("packet loss: Daily's < 5 % good, 5–10 % warning, ≥ 10 % bad", () => {
    expect(verdict({ packetLoss: 0.049 }).result).toBe('good');
    expect(verdict({ packetLoss: 0.05 })).toEqual({ result: 'warning', reasons: ['packet_loss'] });
    expect(verdict({ packetLoss: 0.1 })).toEqual({ result: 'bad', reasons: ['packet_loss'] });
  });

  it("jitter: Twilio's high-jitter above 30 ms warns, and nothing makes it bad", () => {
    expect(verdict({ jitterMs: 30 }).result).toBe('good');
    expect(verdict({ jitterMs: 31 })).toEqual({ result: 'warning', reasons: ['jitter'] });
    expect(verdict({ jitterMs: 5000 }).result).toBe('warning');
  });

  it("bandwidth: Jitsi's video below 750 kbit/s warns, audio below 8 kbit/s is bad", () => {
    expect(verdict({ bitrateKbps: 750 }).result).toBe('good');
    expect(verdict({ bitrateKbps: 749 })).toEqual({ result: 'warning', reasons: ['bitrate'] });
    expect(verdict({ bitrateKbps: 8 }).result).toBe('warning');
    expect(verdict({ bitrateKbps: 7 })).toEqual({ result: 'bad', reasons: ['bitrate'] });
  });

  it('figures not measured count for nothing', () => {
    expect(verdict({ rttMs: null, jitterMs: null, packetLoss: null, bitrateKbps: null })).toEqual({ result: 'good', reasons: [] });
  });

  it('no media path is bad, and its figures are not judged', () => {
    expect(verdict({ connectivity: 'failed', rttMs: 900 })).toEqual({ result: 'bad', reasons: ['network_failed'] });
  });

  it('a TURN relay out of reach warns even when the direct path was fine', () => {
    expect(verdict({ connectivity: 'direct' }, {}, true)).toEqual({ result: 'warning', reasons: ['relay_unreachable'] });
  });

  it('a microphone that cannot be used is bad, one that hears nothing warns; a missing camera warns', () => {
    expect(verdict({}, { microphone: 'denied' })).toEqual({ result: 'bad', reasons: ['microphone_denied'] });
    expect(verdict({}, { microphone: 'no_signal' })).toEqual({ result: 'warning', reasons: ['microphone_no_signal'] });
    expect(verdict({}, { camera: 'denied' })).toEqual({ result: 'warning', reasons: ['camera_denied'] });
    expect(verdict({}, { camera: 'in_use' })).toEqual({ result: 'warning', reasons: ['camera_in_use'] });
    expect(verdict({}, { camera: 'skipped', microphone: 'skipped' })).toEqual({ result: 'good', reasons: [] });
  });

  it('lists every finding, microphone first, and the worst decides', () => {
    expect(verdict({ rttMs: 350, packetLoss: 0.2 }, { camera: 'not_found', microphone: 'no_signal' })).toEqual({
      result: 'bad',
      reasons: ['microphone_no_signal', 'camera_not_found', 'rtt', 'packet_loss'],
    });
  });
});

describe('the microphone level', () => {
  it("hears something when the level moves by 1 % of full scale (Twilio's 327.67 of 32767)", () => {
    expect(MIN_LEVEL_DEVIATION).toBeCloseTo(0.01, 6);
    expect(deviation([0.2, 0.2, 0.2, 0.2])).toBe(0);
    expect(deviation([0, 0.02, 0, 0.02])).toBeCloseTo(0.01, 9);
    expect(deviation([0.1])).toBe(0);
    expect(deviation([0, 0.3, 0.01, 0.25]) >= MIN_LEVEL_DEVIATION).toBe(true);
  });
});
