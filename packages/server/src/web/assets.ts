// Where the client SDK's built files are (packages/client/dist), and the demo page's CSP. Served by lib/static-files.ts.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** packages/client/dist, from src/web/ or dist/web/ of the server package alike. */
export const defaultClientDist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../client/dist');

/** Content-Security-Policy of the demo page: our own scripts, plus the Jitsi origin's script and iframe. */
export function demoCsp(jitsiUrl: string): string {
  const jitsi = new URL(jitsiUrl).origin;
  return [
    "default-src 'none'",
    `script-src 'self' ${jitsi}`,
    "style-src 'self'",
    "img-src 'self' data: https:",
    "connect-src 'self'",
    `frame-src ${jitsi}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}
