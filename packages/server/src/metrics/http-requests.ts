// HTTP request counts and latencies kept in plain arrays (no allocation per request), exposed through prom-client.
import type { Metric, Registry } from 'prom-client';

type Value = { labels: Record<string, string>; value: number; metricName?: string };

/** Latency buckets in seconds: from a cached read (sub-millisecond) to a long upload. */
export const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

interface Series {
  count: number;
  sum: number;
  /** Per bucket (not cumulative); the last slot is +Inf. */
  buckets: Float64Array;
}

/** The methods Node's parser accepts are a fixed set, but a label is bounded only if we say so. */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']);

/**
 * Requests by matched route, method and status. A series is created once per (route, method, status) and found
 * again through nested maps keyed by the interned strings Fastify hands over, so counting allocates nothing.
 */
export class HttpRequestMetrics {
  readonly #byRoute = new Map<string, Map<string, Map<number, Series>>>();

  record(route: string | undefined, method: string, status: number, seconds: number): void {
    const routeKey = route ?? 'unmatched';
    let byMethod = this.#byRoute.get(routeKey);
    if (!byMethod) this.#byRoute.set(routeKey, (byMethod = new Map<string, Map<number, Series>>()));
    const methodKey = METHODS.has(method) ? method : 'OTHER';
    let byStatus = byMethod.get(methodKey);
    if (!byStatus) byMethod.set(methodKey, (byStatus = new Map<number, Series>()));
    let series = byStatus.get(status);
    if (!series) byStatus.set(status, (series = { count: 0, sum: 0, buckets: new Float64Array(HTTP_BUCKETS.length + 1) }));
    series.count++;
    series.sum += seconds;
    let i = 0;
    while (i < HTTP_BUCKETS.length && seconds > HTTP_BUCKETS[i]) i++;
    series.buckets[i]++;
  }

  /** Registers `v4h_http_requests_total` and `v4h_http_request_duration_seconds` (by route and method). */
  register(registry: Registry): void {
    registry.registerMetric(
      this.#metric('v4h_http_requests_total', 'HTTP requests answered, by matched route, method and status', 'counter', () => this.#counts()),
    );
    registry.registerMetric(
      this.#metric('v4h_http_request_duration_seconds', 'HTTP request latency, by matched route and method', 'histogram', () => this.#histograms()),
    );
  }

  #counts(): Value[] {
    const values: Value[] = [];
    for (const [route, byMethod] of this.#byRoute) {
      for (const [method, byStatus] of byMethod) {
        for (const [status, series] of byStatus) values.push({ labels: { route, method, status: String(status) }, value: series.count });
      }
    }
    return values;
  }

  #histograms(): Value[] {
    const values: Value[] = [];
    for (const [route, byMethod] of this.#byRoute) {
      for (const [method, byStatus] of byMethod) {
        const buckets = new Float64Array(HTTP_BUCKETS.length + 1);
        let count = 0;
        let sum = 0;
        for (const series of byStatus.values()) {
          count += series.count;
          sum += series.sum;
          for (let i = 0; i < buckets.length; i++) buckets[i] += series.buckets[i];
        }
        let cumulative = 0;
        for (let i = 0; i < buckets.length; i++) {
          cumulative += buckets[i];
          const le = i < HTTP_BUCKETS.length ? String(HTTP_BUCKETS[i]) : '+Inf';
          values.push({ metricName: 'v4h_http_request_duration_seconds_bucket', labels: { route, method, le }, value: cumulative });
        }
        values.push({ metricName: 'v4h_http_request_duration_seconds_sum', labels: { route, method }, value: sum });
        values.push({ metricName: 'v4h_http_request_duration_seconds_count', labels: { route, method }, value: count });
      }
    }
    return values;
  }

  /** The shape prom-client's registry reads at scrape time (name, help, type, get). */
  #metric(name: string, help: string, type: 'counter' | 'histogram', values: () => Value[]): Metric {
    const get = async () => ({ name, help, type, aggregator: 'sum', values: values() });
    return { name, help, type, aggregator: 'sum', get } as unknown as Metric;
  }
}
