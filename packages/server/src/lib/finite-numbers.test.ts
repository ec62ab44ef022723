// Ajv coerces "1e309" to Infinity and lets it past minimum/maximum; V4H's validators refuse it wherever a schema
// declares a number, and change nothing else. (The app's own list route is tested in conferences.test.ts.)
import Fastify, { type FastifyInstance } from 'fastify';
import { Type } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorHandler } from '../errors.js';
import { finiteNumberValidators, nonFiniteNumberPath } from './finite-numbers.js';

describe('nonFiniteNumberPath', () => {
  it('finds the first non-finite number, as a JSON pointer, at any depth', () => {
    expect(nonFiniteNumberPath({ a: 1, b: [2, { c: 3 }] })).toBeUndefined();
    expect(nonFiniteNumberPath({ a: 1, b: [2, { 'c/d~': -Infinity }] })).toBe('/b/1/c~1d~0');
    expect(nonFiniteNumberPath(NaN)).toBe('');
    expect(nonFiniteNumberPath(['x', null, true, Infinity])).toBe('/3');
    let deep: unknown = Infinity;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nonFiniteNumberPath(deep)).toBe('/0'.repeat(200_000)); // no stack overflow
  });
});

describe('finiteNumberValidators', () => {
  let app: FastifyInstance;
  const calls: unknown[] = [];
  beforeAll(async () => {
    // The options app.ts runs Fastify with.
    app = Fastify({
      ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
      schemaController: { compilersFactory: { buildValidator: finiteNumberValidators() } },
    });
    app.setErrorHandler(errorHandler);
    const echo = async (request: { query: unknown; params: unknown; body: unknown; headers: Record<string, unknown> }) => {
      const seen = { query: request.query, params: request.params, body: request.body ?? null, header: request.headers['x-count'] ?? null };
      calls.push(seen);
      return seen;
    };
    app.get('/items/:page', {
      schema: {
        params: Type.Object({ page: Type.Integer({ minimum: 1 }) }),
        querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })), ids: Type.Optional(Type.Array(Type.Number())) }),
        headers: Type.Object({ 'x-count': Type.Optional(Type.Number({ maximum: 10 })) }),
      },
      handler: echo,
    });
    app.post('/items', {
      schema: { body: Type.Object({ ttl: Type.Integer({ minimum: 60 }), tags: Type.Optional(Type.Array(Type.String())) }) },
      handler: echo,
    });
    app.get('/names/:name', { schema: { params: Type.Object({ name: Type.String({ maxLength: 5 }) }) }, handler: echo });
    await app.ready();
  });
  afterAll(() => app.close());

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it('refuses ±Infinity coerced from a query string, a path, a header, a JSON string or an array item', async () => {
    const refused = [
      get('/items/1?limit=1e309'),
      get('/items/1?limit=-1e309'),
      get('/items/1?limit=Infinity'),
      get('/items/1e309'),
      get('/items/1?ids=1&ids=-1e309'),
      get('/items/1', { 'x-count': '-Infinity' }),
      app.inject({ method: 'POST', url: '/items', payload: { ttl: '1e309' } }),
    ];
    const before = calls.length;
    for (const res of await Promise.all(refused)) {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', message: expect.stringMatching(/must be a finite number$/) });
    }
    expect(calls.length).toBe(before); // no handler ran
    expect((await get('/items/1?ids=2&ids=1e309')).json().message).toBe('querystring/ids/1 must be a finite number');
  });

  it('changes nothing else: finite values are coerced and checked as before, Ajv’s own errors are kept', async () => {
    const res = await get('/items/3?limit=1e1&ids=1.5&ids=-2', { 'x-count': '7' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ query: { limit: 10, ids: [1.5, -2] }, params: { page: 3 }, body: null, header: 7 });
    expect((await app.inject({ method: 'POST', url: '/items', payload: { ttl: '120', tags: ['a'] } })).json().body).toEqual({ ttl: 120, tags: ['a'] });
    const tooBig = await get('/items/1?limit=1e3');
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().message).toBe('querystring/limit must be <= 100');
    expect((await get('/items/0')).json().message).toBe('params/page must be >= 1');
    expect((await get('/names/abcdef')).statusCode).toBe(400);
    expect((await get('/names/abc')).json().params).toEqual({ name: 'abc' });
  });
});
