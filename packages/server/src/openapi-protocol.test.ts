// The published OpenAPI document and @v4h/protocol describe one wire: every JSON body a route declares is a protocol
// schema, every error answer is the protocol's ErrorBody with its full code list (issue 18: the wire defined once).
import * as protocol from '@v4h/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from './test-support/test-app.js';

type Schema = Record<string, unknown>;
type Operation = {
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
};

// Admin routes answer operators' tools, not the SDK: their bodies stay beside their routes (audit/, privacy/).
const ADMIN_ROUTES = new Set(['get /api/audit', 'post /api/admin/erasures']);

/** Wire-relevant form: no prose (description, title, examples, $id), keys sorted, `const: x` as `enum: [x]` (as @fastify/swagger writes it). */
function wireForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(wireForm);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value as Schema)
    .filter(([key]) => !['description', 'title', 'examples', '$id'].includes(key))
    .map(([key, v]): [string, unknown] => (key === 'const' ? ['enum', [v]] : [key, wireForm(v)]));
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)));
}

const key = (schema: unknown) => JSON.stringify(wireForm(JSON.parse(JSON.stringify(schema))));
const protocolSchemas = new Map<string, string>(
  Object.entries(protocol)
    .filter(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v) && ('type' in v || 'anyOf' in v))
    .map(([name, schema]) => [key(schema), name]),
);

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

describe('OpenAPI document and @v4h/protocol', () => {
  it('agree on every JSON request and response body and on the error codes', async () => {
    t = await createTestApp();
    const doc = (await (await fetch(`${t.baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, Operation>> };
    const strangers: string[] = [];
    const used = new Set<string>();
    let errorAnswers = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const route = `${method} ${path}`;
        const bodies: [string, Schema][] = [];
        const request = op.requestBody?.content?.['application/json']?.schema;
        if (request) bodies.push(['request', request]);
        for (const [status, response] of Object.entries(op.responses ?? {})) {
          const schema = response.content?.['application/json']?.schema;
          if (!schema) continue;
          if (/^[45]/.test(status)) {
            errorAnswers++;
            expect(key(schema), `${route} ${status}`).toBe(key(protocol.ErrorBody));
          } else bodies.push([status, schema]);
        }
        for (const [where, schema] of bodies) {
          // Bytes or an event stream (`type: string`), or a raw upload (no type: the file itself): not a JSON body.
          if (schema.type === 'string' || !('type' in schema || 'anyOf' in schema)) continue;
          const name = protocolSchemas.get(key(schema));
          if (name) used.add(name);
          else if (!ADMIN_ROUTES.has(route)) strangers.push(`${route} ${where}`);
        }
      }
    }
    expect(strangers, 'bodies not defined in @v4h/protocol').toEqual([]);
    expect(errorAnswers).toBeGreaterThan(50);
    for (const name of ['ConferenceDetails', 'Embed', 'StoredFile', 'FileList', 'ManifestBundle', 'TokenPair', 'GuestUrl']) expect(used, name).toContain(name);
    // The error list the document publishes is the protocol's, status by status.
    const errorSchema = protocol.ErrorBody as unknown as { properties: { error: { enum: string[] } } };
    expect([...errorSchema.properties.error.enum].sort()).toEqual([...protocol.ERROR_CODES].sort());
  });

  it('a route body that drifts from the protocol is seen', () => {
    const drifted = { ...(JSON.parse(JSON.stringify(protocol.StoredFile)) as Schema), required: ['fileId'] };
    expect(protocolSchemas.get(key(drifted))).toBeUndefined();
    expect(protocolSchemas.get(key(protocol.StoredFile))).toBe('StoredFile');
  });
});
