// The load generator (its own process): reads a scenario as JSON on stdin, runs autocannon, prints a JSON summary.
// Scenarios: a fixed request (`request`), a refresh-token chain (`refresh`), or a mixed user flow (`mixed`).
import autocannon from 'autocannon';
import { mixedFlow } from './mixed-flow.js';

const input = await new Promise((resolve) => {
  let data = '';
  process.stdin.on('data', (chunk) => (data += chunk));
  process.stdin.on('end', () => resolve(data));
});
const scenario = JSON.parse(input);

const statuses = {};
const count = (status) => (statuses[status] = (statuses[status] ?? 0) + 1);
const samples = [];
const steps = {};
const countStep = (name, status) => {
  const entry = (steps[name] ??= {});
  entry[status] = (entry[status] ?? 0) + 1;
};

/** Every refresh answer feeds the pool the token it rotated to: each request presents a token never used before. */
function refreshRequests(tokens) {
  const pool = [...tokens];
  return [
    {
      method: 'POST',
      path: '/api/auth/refresh',
      headers: { 'content-type': 'application/json' },
      setupRequest(request) {
        const token = pool.shift();
        if (!token) throw new Error('refresh-token pool ran dry (more connections than tokens?)');
        return { ...request, body: JSON.stringify({ refreshToken: token }) };
      },
      onResponse(status, body) {
        count(status);
        if (status === 200) pool.push(JSON.parse(body).refreshToken);
        else if (samples.length < 5) samples.push({ status, body: body.slice(0, 300) });
      },
    },
  ];
}

function fixedRequest(request) {
  return [
    {
      method: request.method ?? 'GET',
      path: request.path,
      headers: { ...(request.body === undefined ? {} : { 'content-type': 'application/json' }), ...request.headers },
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      onResponse(status, body) {
        count(status);
        if (status >= 400 && samples.length < 5) samples.push({ status, body: body.slice(0, 300) });
      },
    },
  ];
}

let requests;
if (scenario.kind === 'refresh') requests = refreshRequests(scenario.tokens);
else if (scenario.kind === 'mixed') requests = mixedFlow(scenario, { count, countStep, samples });
else requests = fixedRequest(scenario.request);

const result = await autocannon({
  url: scenario.url,
  connections: scenario.connections ?? 50,
  duration: scenario.duration ?? 10,
  overallRate: scenario.overallRate,
  pipelining: 1,
  timeout: scenario.timeout ?? 10,
  requests,
});

const latency = result.latency;
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    totalRequests: result.requests.total,
    durationSeconds: result.duration,
    latencyMs: { p50: latency.p50, p90: latency.p90, p99: latency.p99, max: latency.max, mean: latency.average },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statuses,
    steps,
    samples,
  }),
);
