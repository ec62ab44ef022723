// The SDK end to end in Chromium against a stand-in Jitsi origin (cross-origin iframe, Prosody-style tokens).
import { defineClientE2E } from './support/suite.js';
import { standInJitsiEngine } from './support/engines.js';

defineClientE2E('stand-in Jitsi origin', standInJitsiEngine);
