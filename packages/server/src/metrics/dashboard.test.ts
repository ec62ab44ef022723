// The Grafana dashboard in examples/grafana names only metrics the server exposes.
import fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../test-support/test-app.js';
import { parsePrometheusText, valueOf } from '../test-support/prometheus-text.js';

const DASHBOARD = new URL('../../../../examples/grafana/v4h-dashboard.json', import.meta.url);

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Every metric name in the dashboard's queries (ours, process_ and nodejs_ ones). */
function dashboardMetrics(): string[] {
  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: { targets: { expr: string }[] }[] };
  const names = dashboard.panels.flatMap((panel) => panel.targets.flatMap((target) => target.expr.match(/\b(?:v4h|process|nodejs)_[a-z0-9_]+\b/g) ?? []));
  return [...new Set(names)];
}

it('every metric the dashboard queries is in the exposition', async () => {
  t = await createTestApp({ env: { V4H_METRICS: 'on', V4H_METRICS_PORT: '0' } });
  const { port } = t.app.metricsServer!.address() as { port: number };
  const families = parsePrometheusText(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  const names = dashboardMetrics();
  expect(names.length).toBeGreaterThanOrEqual(15);
  // valueOf throws for a name that belongs to no family (a histogram's _bucket resolves to its family).
  const missing = names.filter((name) => {
    try {
      valueOf(families, name);
      return false;
    } catch {
      return true;
    }
  });
  expect(missing).toEqual([]);
});

it('the test parser refuses malformed expositions', () => {
  expect(() => parsePrometheusText('# TYPE a counter\na 1\n')).not.toThrow();
  expect(() => parsePrometheusText('a 1\n')).toThrow(/without a TYPE/);
  expect(() => parsePrometheusText('# TYPE a counter\na{x="1} 1\n')).toThrow();
  expect(() => parsePrometheusText('# TYPE a counter\na one\n')).toThrow(/bad value/);
  expect(() => parsePrometheusText('# TYPE a counter\na 1\na 2\n')).toThrow(/duplicate/);
  expect(() => parsePrometheusText('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n')).toThrow(/cumulative/);
  expect(() => parsePrometheusText('# TYPE a counter\na 1')).toThrow(/newline/);
});
