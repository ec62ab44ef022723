// Every webhook event type an endpoint may subscribe to is produced by something: a logged conference event (the
// protocol's WEBHOOK_EVENT_OF_LOGGED) or the records (manifest.*). A type nothing produces would be a subscription
// that never fires (consent.given, consent.declined and recording.started were, until this test).
import { describe, expect, it } from 'vitest';
import { CONFERENCE_EVENT_TYPES, WEBHOOK_EVENT_OF_LOGGED, WEBHOOK_EVENT_TYPES, webhookEventOfLogged } from '@v4h/protocol';

describe('webhook event types', () => {
  it('each one a subscriber may choose is produced by a logged event or by the records', () => {
    const produced = new Set<string>([...Object.values(WEBHOOK_EVENT_OF_LOGGED).filter((type) => type !== undefined), 'manifest.sealed', 'manifest.anchored']);
    expect(WEBHOOK_EVENT_TYPES.filter((type) => !produced.has(type))).toEqual([]);
  });

  it('maps only event types the log has, and a stored recording apart from other files', () => {
    const logged = new Set<string>(CONFERENCE_EVENT_TYPES);
    expect(Object.keys(WEBHOOK_EVENT_OF_LOGGED).filter((key) => !logged.has(key.split(':')[0]))).toEqual([]);
    expect(webhookEventOfLogged('file_stored', 'recording')).toBe('recording.stored');
    expect(webhookEventOfLogged('file_stored', 'attachment')).toBe('file.stored');
    expect(webhookEventOfLogged('consent_declined')).toBe('consent.declined');
    expect(webhookEventOfLogged('token_issued')).toBeUndefined();
  });
});
