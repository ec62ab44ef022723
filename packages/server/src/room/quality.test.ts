// Network quality: how a link is classified from its figures, and what a page's summary may carry to the server.
import { describe, expect, it } from 'vitest';
import { classifyLink, parseQualitySummary, type LinkFigures } from './quality.js';
import { parseClientMessage } from './protocol.js';

const loopback: LinkFigures = { rttMs: 1, packetLoss: 0, bitrateKbps: 900, videoKbps: 850, connected: true };

describe('classifyLink', () => {
  it('calls a loopback link good, and a link not measured yet good', () => {
    expect(classifyLink(loopback)).toEqual({ state: 'good', reasons: [] });
    expect(classifyLink({ rttMs: null, packetLoss: null, bitrateKbps: null, videoKbps: null, connected: true })).toEqual({ state: 'good', reasons: [] });
  });

  it('warns and then fails on round-trip time, loss and video bitrate, naming every reason', () => {
    expect(classifyLink({ ...loopback, rttMs: 350 })).toEqual({ state: 'warning', reasons: ['rtt'] });
    expect(classifyLink({ ...loopback, rttMs: 800 })).toEqual({ state: 'bad', reasons: ['rtt'] });
    expect(classifyLink({ ...loopback, packetLoss: 0.05 })).toEqual({ state: 'warning', reasons: ['packetLoss'] });
    expect(classifyLink({ ...loopback, packetLoss: 0.2 })).toEqual({ state: 'bad', reasons: ['packetLoss'] });
    expect(classifyLink({ ...loopback, videoKbps: 80 })).toEqual({ state: 'warning', reasons: ['bitrate'] });
    expect(classifyLink({ ...loopback, videoKbps: 10 })).toEqual({ state: 'bad', reasons: ['bitrate'] });
    // The worst figure decides; every figure past its limit is a reason.
    expect(classifyLink({ ...loopback, rttMs: 400, packetLoss: 0.15, videoKbps: 90 })).toEqual({ state: 'bad', reasons: ['rtt', 'packetLoss', 'bitrate'] });
    expect(classifyLink({ ...loopback, connected: false })).toEqual({ state: 'bad', reasons: ['disconnected'] });
  });

  it('ignores a low total bitrate when the peer sends no video (camera off: audio only)', () => {
    expect(classifyLink({ ...loopback, bitrateKbps: 40, videoKbps: null })).toEqual({ state: 'good', reasons: [] });
  });
});

const summary = {
  durationSeconds: 62,
  samples: 31,
  seconds: { good: 58, warning: 4, bad: 0 },
  rttMs: { avg: 12.4, max: 40 },
  packetLoss: { avg: 0.001234567, max: 0.02 },
  bitrateKbps: { avg: 812.7, min: 300 },
};

describe('parseQualitySummary', () => {
  it('keeps known numeric fields only, rounded', () => {
    const parsed = parseQualitySummary({ ...summary, displayName: 'Zuleica', extra: { ip: '10.0.0.1' } });
    expect(parsed).toEqual({ ...summary, rttMs: { avg: 12, max: 40 }, packetLoss: { avg: 0.0012, max: 0.02 }, bitrateKbps: { avg: 813, min: 300 } });
    expect(JSON.stringify(parsed)).not.toMatch(/Zuleica|10\.0\.0\.1/);
    expect(parseQualitySummary({ ...summary, rttMs: null, packetLoss: null, bitrateKbps: null })).toMatchObject({ rttMs: null });
  });

  it('refuses text, negative, infinite or out-of-range figures and missing fields', () => {
    for (const bad of [
      null,
      'text',
      { ...summary, samples: 1.5 },
      { ...summary, durationSeconds: -1 },
      { ...summary, seconds: { good: 1, warning: 'Zuleica', bad: 0 } },
      { ...summary, seconds: undefined },
      { ...summary, packetLoss: { avg: 2, max: 2 } },
      { ...summary, rttMs: { avg: 'a', max: 1 } },
      { ...summary, rttMs: undefined },
      { ...summary, bitrateKbps: { avg: 1 } },
    ]) {
      expect(parseQualitySummary(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('is what the signaling socket accepts as a quality message', () => {
    expect(parseClientMessage(JSON.stringify({ type: 'quality', summary }))).toMatchObject({ type: 'quality', summary: { samples: 31 } });
    expect(parseClientMessage(JSON.stringify({ type: 'quality', summary: { ...summary, samples: -1 } }))).toBeUndefined();
    expect(parseClientMessage(JSON.stringify({ type: 'quality' }))).toBeUndefined();
  });
});
