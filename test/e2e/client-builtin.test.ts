// The SDK end to end in Chromium against the server's built-in room (V4H_JITSI_URL unset).
import { defineClientE2E } from './support/suite.js';
import { builtinRoomEngine } from './support/engines.js';

defineClientE2E('built-in room', builtinRoomEngine);
