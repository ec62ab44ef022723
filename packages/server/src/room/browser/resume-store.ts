// The page's resume ticket (participant id and the server's resume key), kept for a reload within the grace period.

/** What the server's `joined` hands back and a later join presents to be the same participant. */
export interface ResumeTicket {
  participantId: string;
  resumeKey: string;
}

const storageKey = (roomName: string) => `v4h-room:${roomName}`;

export function loadResume(roomName: string): ResumeTicket | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(storageKey(roomName)) ?? 'null') as Partial<ResumeTicket> | null;
    return saved?.participantId && saved?.resumeKey ? { participantId: saved.participantId, resumeKey: saved.resumeKey } : undefined;
  } catch {
    return undefined; // storage blocked (third-party iframe settings): no resume after a reload
  }
}

/** Keeps the ticket, or forgets it (null: the call is over or the join was refused). */
export function saveResume(roomName: string, value: ResumeTicket | null) {
  try {
    if (value) sessionStorage.setItem(storageKey(roomName), JSON.stringify(value));
    else sessionStorage.removeItem(storageKey(roomName));
  } catch {
    // see loadResume
  }
}
