// Public entry of @v4h/react: named re-exports only.
export { V4HProvider, useV4H } from './context.js';
export type { V4HProviderProps, V4HClient } from './context.js';
export { V4HConference } from './V4HConference.js';
export type { V4HConferenceProps } from './V4HConference.js';
export { useConference } from './useConference.js';
export type { UseConferenceOptions, UseConferenceResult } from './useConference.js';
export { useCallEvents } from './useCallEvents.js';
export type { CallEventHandlers } from './useCallEvents.js';
