// TURN REST API credentials (draft-uberti-behave-turn-rest, coturn's `use-auth-secret`): short-lived, per participant.
import { createHmac } from 'node:crypto';

export interface TurnSettings {
  urls: string[];
  /** coturn's `static-auth-secret`. */
  secret: string;
  ttlSeconds: number;
}

/**
 * Credentials coturn accepts until `now + ttl`: username `<expiry unix seconds>:<participant id>`, password the
 * base64 HMAC-SHA1 of the username keyed by the shared secret. coturn refuses them (401) once the expiry has passed.
 */
export function turnCredentials(turn: TurnSettings, participantId: string, nowMs = Date.now()) {
  const username = `${Math.floor(nowMs / 1000) + turn.ttlSeconds}:${participantId}`;
  const credential = createHmac('sha1', turn.secret).update(username).digest('base64');
  return { urls: turn.urls, username, credential };
}
