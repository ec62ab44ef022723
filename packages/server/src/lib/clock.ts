// Time source, injectable so tests can move time without sleeping.
export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
