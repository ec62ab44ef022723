// Renders a bench run (the latest.json object) as Markdown.
// Small figures (e.g. 0.0034 tx/conference) keep three significant digits instead of rounding to 0.
const fmt = (n) =>
  typeof n !== 'number' ? String(n ?? '—') : n !== 0 && Math.abs(n) < 0.01 ? n.toPrecision(3) : n.toLocaleString('en-US', { maximumFractionDigits: 2 });

export function renderMarkdown(run) {
  const lines = [
    '# V4H benchmark results',
    '',
    `Run ${run.date} on commit ${run.commit ?? '?'}: ${run.machine.cpus} × ${run.machine.cpuModel}, Node ${run.machine.node}, ` +
      `load average at start ${run.machine.loadAverageAtStart.join(' / ')} (the machine is shared: every speed figure is read against a baseline from the same run). ` +
      `${run.secondsPerMeasurement} s per measurement after a warm-up, ${run.totalSeconds} s in all. Produced by \`npm run bench\`.`,
    '',
    '| figure | value | baseline (same run) | ratio | target | met |',
    '|---|---|---|---|---|---|',
  ];
  for (const f of run.figures) {
    const base = f.baseline ? `${fmt(f.baseline.value)} (${f.baseline.name})` : '—';
    const p99 = f.latencyMs ? ` (p50 ${fmt(f.latencyMs.p50)} / p99 ${fmt(f.latencyMs.p99)} ms)` : '';
    const met = f.pass === true ? 'yes' : f.pass === false ? '**NO**' : '—';
    lines.push(`| ${f.name} | ${fmt(f.value)} ${f.unit ?? ''}${p99} | ${base} | ${fmt(f.ratio)} | ${f.target ?? '—'} | ${met} |`);
  }
  const flood = run.figures.find((f) => f.flood);
  if (flood) {
    lines.push(
      '',
      `Login flood: ${fmt(flood.flood.loginsPerSecond)} logins/s (p99 ${fmt(flood.flood.loginLatencyMs.p99)} ms) beside the getConference probe, ` +
        `which ran ${fmt(flood.flood.probeRequestsPerSecond)} req/s during the flood and ${fmt(flood.baseline.requestsPerSecond)} req/s without it.`,
    );
  }
  const missed = run.figures.filter((f) => f.pass === false);
  if (missed.length) {
    lines.push('', '## Targets missed', '');
    for (const f of missed)
      lines.push(`- **${f.name}**: ${fmt(f.value)} ${f.unit ?? ''}${f.ratio !== undefined ? ` (ratio ${fmt(f.ratio)})` : ''} against ${f.target}.`);
  }
  if (run.profiles.length) {
    lines.push('', '## Where the time goes (node --cpu-prof of the server during the missed runs)', '');
    for (const p of run.profiles) {
      if (p.error) {
        lines.push(`- ${p.name}: ${p.error}`);
        continue;
      }
      lines.push(`### ${p.name} (\`${p.file}\`, open in Chrome DevTools or speedscope for the flame graph)`, '');
      lines.push(`Self time by package: ${p.byPackage.map((g) => `${g.group} ${g.percent}%`).join(', ')}.`, '');
      lines.push('| function | where | self time |', '|---|---|---|');
      for (const t of p.topFunctions) lines.push(`| ${t.fn} | ${t.where} | ${t.percent}% |`);
      lines.push('');
    }
  }
  if (run.microCosts?.length) {
    lines.push('', '## Per-operation costs (in-process, the built server code)', '', '| operation | µs per call (median) | p99 µs |', '|---|---|---|');
    for (const m of run.microCosts) lines.push(`| ${m.name} | ${fmt(m.microseconds)} | ${fmt(m.p99 ?? '—')} |`);
  }
  if (run.analysis?.length) lines.push('', '## Analysis', '', ...run.analysis.map((a) => `- ${a}`));
  if (run.notes.length) lines.push('', '## Notes', '', ...run.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}
