// The STUN/TURN servers a browser gets outside a call, for the pre-call check (SDK precheck, the guest page): the
// configured list, plus the TURN server with credentials of its own that expire within minutes.
import type { IceServersReply } from '@v4h/protocol';
import type { RTCIceServerConfig } from '../config.js';
import type { Clock } from '../lib/clock.js';
import { forbidden } from '../errors.js';
import type { AccessPolicy, Principal } from '../conferences/access-policy.js';
import { turnCredentials, type TurnSettings } from '../room/turn.js';

/**
 * A check lasts seconds: its TURN credentials need not outlive a few minutes (a call's are V4H_TURN_CREDENTIAL_TTL),
 * so a credential copied out of a patient's browser is of no use for long.
 */
export const PRECHECK_TURN_TTL_SECONDS = 300;

export class IceServerService {
  readonly #iceServers: RTCIceServerConfig[];
  readonly #turn: TurnSettings | undefined;
  readonly #clock: Clock;
  readonly #access: AccessPolicy;

  constructor(deps: { iceServers: RTCIceServerConfig[]; turn?: TurnSettings; clock: Clock; access: AccessPolicy }) {
    this.#iceServers = deps.iceServers;
    this.#turn = deps.turn && { ...deps.turn, ttlSeconds: Math.min(deps.turn.ttlSeconds, PRECHECK_TURN_TTL_SECONDS) };
    this.#clock = deps.clock;
    this.#access = deps.access;
  }

  /** The servers for `who`; TURN credentials are named by the principal's id only (coturn logs them). */
  forPrincipal(who: Principal): IceServersReply {
    if (!this.#access.mayUseRelay(who)) throw forbidden('only signed-in users and guests of a link may run the pre-call check');
    const servers = this.#iceServers.map((s) => ({ ...s }));
    if (!this.#turn) return { iceServers: servers, expiresAt: null };
    const now = this.#clock.now();
    const label = who.kind === 'user' ? `check-u-${who.id}` : `check-g-${who.kind === 'guest' ? who.id : 'x'}`;
    return { iceServers: [...servers, turnCredentials(this.#turn, label, now)], expiresAt: (Math.floor(now / 1000) + this.#turn.ttlSeconds) * 1000 };
  }
}
