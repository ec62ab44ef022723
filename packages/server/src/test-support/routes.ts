// Every route the app serves (from Fastify's route tree), so attack tests cover routes added later without edits.
import type { FastifyInstance } from 'fastify';

export interface RouteInfo {
  method: string;
  /** Fastify's path: `:param`, `:param(^regex$)` and `*` wildcards included. */
  path: string;
}

/** Parses `app.printRoutes({ commonPrefix: false })`; HEAD and OPTIONS are left out (Fastify derives them). */
export function listRoutes(app: FastifyInstance): RouteInfo[] {
  const stack: string[] = [];
  const routes: RouteInfo[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const marker = line.search(/[└├]── /);
    if (marker < 0) continue;
    const depth = marker / 4;
    const match = /^(.*?)(?: \(([^)]*)\))?$/.exec(line.slice(marker + 4));
    if (!match) continue;
    stack.length = depth;
    stack.push(match[1]);
    const path = stack.join('').replace(/\/\/+/g, '/');
    for (const method of (match[2] ?? '')
      .split(',')
      .map((m) => m.trim())
      .filter(Boolean)) {
      if (method !== 'HEAD' && method !== 'OPTIONS') routes.push({ method, path });
    }
  }
  return routes;
}

/** Fills `:param` segments (and a trailing `*`) with `value(name)`. */
export function fillPath(path: string, value: (name: string) => string): string {
  return path.replace(/:([A-Za-z0-9_]+)(\([^/]*?\$\))?/g, (_m, name: string) => value(name)).replace(/\*$/, () => value('*'));
}
