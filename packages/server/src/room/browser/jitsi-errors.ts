// The room's error codes under Jitsi's error names (errorOccurred), so integrators' existing handlers recognise them.
import type { RoomErrorCode } from '../protocol.js';

export function jitsiError(code: RoomErrorCode): { name: string; type: 'CONNECTION' | 'CONFERENCE' } {
  if (code.startsWith('token_')) return { name: 'connection.passwordRequired', type: 'CONNECTION' };
  if (code === 'room_full') return { name: 'conference.max_users', type: 'CONFERENCE' };
  if (code === 'conference_ended' || code === 'conference_not_found') return { name: 'conference.destroyed', type: 'CONFERENCE' };
  if (code === 'not_moderator') return { name: 'conference.notModerator', type: 'CONFERENCE' };
  return { name: 'connection.otherError', type: 'CONNECTION' };
}
