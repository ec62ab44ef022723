// Our external_api.js against Jitsi's published types (@types/jitsi-meet, a test dependency): every Jitsi method is
// ours or declared unsupported, shared methods and event payloads fit Jitsi's, and command and event names cannot
// drift. Where @types lags behind or contradicts jitsi-meet itself, the exception is named here with its reason.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { SUPPORTED_COMMANDS, UNSUPPORTED_METHODS } from './browser/messages.js';

const roomDir = fileURLToPath(new URL('.', import.meta.url));

/** Jitsi commands in @types/jitsi-meet 2.0.5 that the built-in room does not carry out (docs/room.md lists them). */
const UNSUPPORTED_COMMANDS = [
  'password',
  'toggleLobby',
  'sendTones',
  'toggleFilmStrip',
  'email',
  'sendEndpointTextMessage',
  'setLargeVideoParticipant',
  'setVideoQuality',
] as const;

const CHECKS = `
import type { JitsiMeetExternalAPI as Typed, ExternalAPICommands, ExternalAPIEventCallbacks } from 'jitsi-meet';
import type { JitsiMeetExternalAPI as Ours } from './browser/external-api.js';
import type { RoomEvents, SUPPORTED_COMMANDS, UNSUPPORTED_METHODS } from './browser/messages.js';
type Never<T extends never> = T;

// Node's EventEmitter internals that Jitsi's class inherits and integrators do not use.
type EmitterInternals = 'setMaxListeners' | 'getMaxListeners' | 'listeners' | 'listenerCount' | 'prependListener' | 'prependOnceListener' | 'eventNames';
// Listener methods return \`this\`: compared by name only.
type Listening = 'on' | 'once' | 'addListener' | 'removeListener' | 'removeAllListeners' | 'emit';
// @types says DeviceMap (lists); jitsi-meet's getCurrentDevices answers one device per kind, as ours does. @types
// says executeCommands takes an array; jitsi-meet's takes an object { command: args }, as ours does.
type TypesDisagree = 'getCurrentDevices' | 'executeCommands';
type Unsupported = (typeof UNSUPPORTED_METHODS)[number];

// 1. Every method Jitsi has is ours or declared unsupported.
export type EveryMethod = Never<Exclude<keyof Typed, keyof Ours | Unsupported | EmitterInternals>>;
// 2. Shared methods have signatures Jitsi's callers accept.
type Shared = Exclude<keyof Typed & keyof Ours, Listening | TypesDisagree>;
export type Signatures = Never<{ [K in Shared]: Ours[K] extends Typed[K] ? never : K }[Shared]>;

// 3. Command names: Jitsi's (newer ones, after @types 2.0.5, named here from jitsi-meet's external_api.js).
type NewerJitsiCommands = 'sendChatMessage' | 'endConference' | 'kickParticipant' | 'setTileView';
export type CommandNames = Never<Exclude<(typeof SUPPORTED_COMMANDS)[number], ExternalAPICommands | NewerJitsiCommands>>;
export type CommandsAccounted = Never<Exclude<ExternalAPICommands, (typeof SUPPORTED_COMMANDS)[number] | ${UNSUPPORTED_COMMANDS.map((c) => `'${c}'`).join(' | ')}>>;

// 4. Event names: Jitsi's (newer ones named here), or ours (networkQualityChanged, documented as ours).
type NewerJitsiEvents = 'errorOccurred' | 'chatUpdated' | 'contentSharingParticipantsChanged' | 'recordingStatusChanged' | 'recordingLinkAvailable';
type OurEvents = 'networkQualityChanged';
export type EventNames = Never<Exclude<keyof RoomEvents, keyof ExternalAPIEventCallbacks | NewerJitsiEvents | OurEvents>>;
// 5. Payloads fit Jitsi's listeners (displayNameChange: jitsi-meet sends \`displayname\`, @types says displayName).
type Typed1<K extends keyof ExternalAPIEventCallbacks> = Parameters<ExternalAPIEventCallbacks[K]> extends [infer P, ...unknown[]] ? P : undefined;
type SharedEvents = Exclude<keyof RoomEvents & keyof ExternalAPIEventCallbacks, 'displayNameChange' | 'readyToClose'>;
export type Payloads = Never<{ [K in SharedEvents]: RoomEvents[K] extends Typed1<K> ? never : K }[SharedEvents]>;
`;

function typeErrors(source: string): string[] {
  const file = path.join(roomDir, 'jitsi-surface-check.ts');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (
    (exists) => (name: string) =>
      name === file || exists(name)
  )(host.fileExists.bind(host));
  host.readFile = (name) => (name === file ? source : readFile(name));
  host.getSourceFile = (name, version, ...rest) => (name === file ? ts.createSourceFile(name, source, version) : getSourceFile(name, version, ...rest));
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => `${d.file?.fileName.split('/').pop()}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

// The TypeScript compiler over the room's browser code and Jitsi's types: seconds alone, far more on a busy machine.
const COMPILER_TIMEOUT = 180_000;

describe('external_api.js against @types/jitsi-meet', () => {
  it(
    'has Jitsi’s method, command and event names and compatible shapes',
    () => {
      expect(typeErrors(CHECKS)).toEqual([]);
    },
    COMPILER_TIMEOUT,
  );

  it(
    'would catch a drifted name or shape',
    () => {
      const drifted = CHECKS.replace("type NewerJitsiCommands = 'sendChatMessage' |", 'type NewerJitsiCommands =').replace(
        "type OurEvents = 'networkQualityChanged';",
        'type OurEvents = never;',
      );
      const errors = typeErrors(drifted).join('\n');
      expect(errors).toMatch(/sendChatMessage/);
      expect(errors).toMatch(/networkQualityChanged/);
    },
    COMPILER_TIMEOUT,
  );

  it('lists what it does not support in docs/room.md, and those methods only log', () => {
    const doc = fs.readFileSync(path.join(roomDir, '../../../../docs/room.md'), 'utf8');
    for (const name of [...UNSUPPORTED_COMMANDS, ...UNSUPPORTED_METHODS]) expect(doc, name).toContain(`\`${name}\``);
    expect(SUPPORTED_COMMANDS).not.toContain('password');
  });
});
