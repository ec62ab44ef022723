// The mixed user flow for load tests: log in, then rounds of request → start → join (someone's) → details →
// guest link → refresh → list. autocannon resets a connection's context when its flow starts over.
const json = { 'content-type': 'application/json' };

/** autocannon `requests` for the mixed flow; `count(status)` and `samples` collect the outcome. */
export function mixedFlow(scenario, { count, countStep, samples }) {
  const users = scenario.users;
  const rounds = scenario.rounds ?? 5;
  const recent = []; // session ids created by any connection: joins go to other people's conferences
  let nextUser = 0;

  const record = (name) => (status, body) => {
    count(status);
    countStep(name, status);
    if ((status < 200 || status >= 300) && samples.length < 10) samples.push({ step: name, status, body: body.slice(0, 300) });
  };
  const authed = (context) => ({ ...json, authorization: `Bearer ${context.accessToken}` });
  const step = (name, build, after) => ({
    setupRequest: (request, context) => ({ ...request, ...build(context) }),
    onResponse(status, body, context) {
      record(name)(status, body);
      if (status >= 200 && status < 300 && after) after(JSON.parse(body), context);
    },
  });

  const login = step(
    'login',
    () => {
      const user = users[nextUser++ % users.length];
      return { method: 'POST', path: '/api/auth/login', headers: json, body: JSON.stringify(user) };
    },
    (reply, context) => Object.assign(context, { accessToken: reply.accessToken, refreshToken: reply.refreshToken }),
  );

  const round = [
    step(
      'request',
      (c) => ({ method: 'POST', path: '/api/conferences', headers: authed(c), body: '{}' }),
      (reply, c) => {
        c.sessionId = reply.sessionId;
        recent.push(reply.sessionId);
        if (recent.length > 1000) recent.shift();
      },
    ),
    step('start', (c) => ({
      method: 'POST',
      path: `/api/conferences/${c.sessionId}/start`,
      headers: authed(c),
      body: JSON.stringify({ displayName: 'Dr Load' }),
    })),
    step('join', (c) => {
      const target = recent[Math.floor(Math.random() * recent.length)] ?? c.sessionId;
      return { method: 'POST', path: `/api/conferences/${target}/join`, headers: authed(c), body: JSON.stringify({ displayName: 'Patient Load' }) };
    }),
    step('details', (c) => ({
      method: 'GET',
      path: `/api/conferences/${c.sessionId}`,
      headers: { authorization: `Bearer ${c.accessToken}` },
      body: undefined,
    })),
    step('guest-url', (c) => ({
      method: 'POST',
      path: `/api/conferences/${c.sessionId}/guest-url`,
      headers: authed(c),
      body: JSON.stringify({ name: 'Guest Load' }),
    })),
    step(
      'refresh',
      (c) => ({ method: 'POST', path: '/api/auth/refresh', headers: json, body: JSON.stringify({ refreshToken: c.refreshToken }) }),
      (reply, c) => {
        c.accessToken = reply.accessToken;
        c.refreshToken = reply.refreshToken;
      },
    ),
    step('list', (c) => ({ method: 'GET', path: '/api/conferences?limit=5', headers: { authorization: `Bearer ${c.accessToken}` }, body: undefined })),
  ];
  return [login, ...Array.from({ length: rounds }, () => round).flat()];
}
