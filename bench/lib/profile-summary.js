// Summarizes a V8 .cpuprofile (from node --cpu-prof): the functions with the most self time, as the flame graph's widest leaves.
import fs from 'node:fs';
import path from 'node:path';

/** Top `limit` functions by self time in the profile file: [{ fn, where, percent }]. */
export function topSelfTime(file, limit = 12) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map();
  const deltas = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]);
    const frame = node.callFrame;
    const where = frame.url ? `${shorten(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'}\t${where}`;
    selfMicros.set(key, (selfMicros.get(key) ?? 0) + (deltas[i] ?? 0));
  }
  const total = [...selfMicros.values()].reduce((a, b) => a + b, 0) || 1;
  return [...selfMicros.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([key, micros]) => {
      const [fn, where] = key.split('\t');
      return { fn, where, percent: Math.round((micros / total) * 1000) / 10 };
    });
}

/** Self time grouped by package (node_modules/<name>, node internals, V4H code, idle/GC). */
export function selfTimeByPackage(file) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const groups = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const frame = byId.get(profile.samples[i]).callFrame;
    const group = packageOf(frame);
    groups.set(group, (groups.get(group) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...groups.values()].reduce((a, b) => a + b, 0) || 1;
  return [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([group, micros]) => ({ group, percent: Math.round((micros / total) * 1000) / 10 }));
}

function packageOf(frame) {
  const url = frame.url;
  if (!url) return frame.functionName ? `(${frame.functionName.replace(/^\(|\)$/g, '')})` : '(native)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/packages/server/dist/')) return 'v4h server';
  return path.basename(url);
}

function shorten(url) {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*node_modules\//, '')
    .replace(/^.*\/packages\//, 'packages/');
}
