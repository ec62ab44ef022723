// Rooms across server processes: membership in a Redis hash per room, signaling and room events on a Redis channel
// per room, and a heartbeat key per process so that the others notice when one dies. Without V4H_REDIS_URL there is
// no bus and a room lives in one process, as before.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { PeerInfo, RoomErrorCode, ServerMessage } from './protocol.js';

/** A room member as every process sees it (no token, no socket). */
export interface MemberRecord {
  info: PeerInfo;
  /** The process holding its socket. */
  process: string;
  /** Verified identity: a user id, or the guest link's id (userId null). */
  identityId: string;
  userId: string | null;
  /** The conference's owner (holds the owner's seat). */
  owner: boolean;
  /** Event-log actor, for whichever process records its leave. */
  actor: string;
  /** Seat reserved, presence being recorded: not shown to the others yet. */
  pending: boolean;
}

/** What travels on a room's channel. */
export type BusEnvelope =
  | { from: string; kind: 'message'; msg: ServerMessage; to?: string; except?: string }
  | { from: string; kind: 'close'; reason: string }
  /** An account or guest link removed over the API: each process closes the seats of `subject` it holds. */
  | { from: string; kind: 'remove'; subject: string };

/** The shared state and relay a RoomService uses when rooms span processes. */
export interface RoomBus {
  readonly processId: string;
  /** Reserves a seat by the room's seat rules, atomically across processes; the refusal code, or undefined when seated. */
  reserve(roomName: string, member: MemberRecord, maxParticipants: number): Promise<RoomErrorCode | undefined>;
  /** Rewrites a member's record (only while it is still a member). */
  update(roomName: string, member: MemberRecord): Promise<void>;
  /** Removes a member; with `ifProcess`, only while that process holds it. True for the one caller that removed it. */
  remove(roomName: string, participantId: string, ifProcess?: string): Promise<boolean>;
  members(roomName: string): Promise<MemberRecord[]>;
  /** Every member of any room and its process (for the start-up orphan sweep). */
  allMembers(): Promise<Array<{ id: string; process: string }>>;
  dropRoom(roomName: string): Promise<void>;
  publish(roomName: string, envelope: BusEnvelope): Promise<void>;
  subscribe(roomName: string): Promise<void>;
  unsubscribe(roomName: string): Promise<void>;
  onEnvelope(handler: (roomName: string, envelope: BusEnvelope) => void): void;
  /** The ids among `processes` whose heartbeat has stopped. */
  deadProcesses(processes: string[]): Promise<Set<string>>;
  /** Whether Redis answers now (for `/readyz`); false at once while the connection is down, never throws. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

const PREFIX = 'v4h:room:';
const membersKey = (room: string) => `${PREFIX}members:${room}`;
const channel = (room: string) => `${PREFIX}bus:${room}`;
const processKey = (id: string) => `${PREFIX}process:${id}`;
/** How long `/readyz` waits for a PING on an open connection before it calls Redis unreachable. */
const PING_TIMEOUT_MS = 1000;
/** A member hash no process touched for this long is dropped by Redis (rooms end long before). */
const MEMBERS_TTL_MS = 24 * 3600 * 1000;

// The seat rules of RoomService#seatRefusal (docs/room.md, "Seats"), checked and applied in one Redis step.
const RESERVE = `
local me = cjson.decode(ARGV[1])
local max = tonumber(ARGV[2])
local present, others, ownerIn = 0, 0, false
for _, raw in ipairs(redis.call('HVALS', KEYS[1])) do
  local m = cjson.decode(raw)
  present = present + 1
  if m.owner then ownerIn = true else others = others + 1 end
  if me.userId == cjson.null and m.userId == cjson.null and m.identityId == me.identityId then return 'guest_link_in_use' end
end
if me.owner then
  if ownerIn and present >= max then return 'room_full' end
elseif others >= max - 1 or present >= max then
  return 'room_full'
end
redis.call('HSET', KEYS[1], me.info.id, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 'ok'`;

const UPDATE = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

const REMOVE = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
if ARGV[2] ~= '' and cjson.decode(raw).process ~= ARGV[2] then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])`;

export interface RedisRoomBusOptions {
  url: string;
  /** Heartbeat period; a process is dead once `heartbeatMs * 3` passed without one. */
  heartbeatMs?: number;
  log?: { warn(obj: object, msg: string): void };
}

/** The Redis bus; resolves once both connections are up (fails when Redis is unreachable). */
export async function createRedisRoomBus(o: RedisRoomBusOptions): Promise<RoomBus> {
  const heartbeatMs = o.heartbeatMs ?? 1000;
  const options = { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: 5000 };
  const cmd = new Redis(o.url, options);
  const sub = new Redis(o.url, options);
  for (const c of [cmd, sub]) c.on('error', (err) => o.log?.warn({ err }, 'room bus: redis connection error'));
  try {
    await Promise.all([cmd.connect(), sub.connect()]);
  } catch (e) {
    cmd.disconnect();
    sub.disconnect();
    throw new Error(`the room bus cannot reach Redis at V4H_REDIS_URL: ${(e as Error).message}`, { cause: e });
  }
  const processId = `p-${randomBytes(9).toString('base64url')}`;
  const beat = () => cmd.set(processKey(processId), '1', 'PX', heartbeatMs * 3);
  await beat();
  const timer = setInterval(() => void beat().catch((err: unknown) => o.log?.warn({ err }, 'room bus: heartbeat failed')), heartbeatMs);
  timer.unref?.();
  const handlers: ((room: string, e: BusEnvelope) => void)[] = [];
  let closed = false;
  sub.on('message', (ch: string, raw: string) => {
    if (!ch.startsWith(`${PREFIX}bus:`)) return;
    let envelope: BusEnvelope;
    try {
      envelope = JSON.parse(raw) as BusEnvelope;
    } catch {
      return;
    }
    const room = ch.slice(`${PREFIX}bus:`.length);
    for (const h of handlers) h(room, envelope);
  });
  return {
    processId,
    async reserve(roomName, member, max) {
      const answer = await cmd.eval(RESERVE, 1, membersKey(roomName), JSON.stringify(member), String(max), String(MEMBERS_TTL_MS));
      return answer === 'ok' ? undefined : (answer as RoomErrorCode);
    },
    async update(roomName, member) {
      await cmd.eval(UPDATE, 1, membersKey(roomName), member.info.id, JSON.stringify(member), String(MEMBERS_TTL_MS));
    },
    async remove(roomName, participantId, ifProcess) {
      return (await cmd.eval(REMOVE, 1, membersKey(roomName), participantId, ifProcess ?? '')) === 1;
    },
    async members(roomName) {
      return Object.values(await cmd.hgetall(membersKey(roomName))).map((raw) => JSON.parse(raw) as MemberRecord);
    },
    async allMembers() {
      const out: Array<{ id: string; process: string }> = [];
      let cursor = '0';
      do {
        const [next, keys] = await cmd.scan(cursor, 'MATCH', `${PREFIX}members:*`, 'COUNT', 200);
        cursor = next;
        for (const key of keys) {
          for (const [id, raw] of Object.entries(await cmd.hgetall(key))) out.push({ id, process: (JSON.parse(raw) as MemberRecord).process });
        }
      } while (cursor !== '0');
      return out;
    },
    async dropRoom(roomName) {
      await cmd.del(membersKey(roomName));
    },
    async publish(roomName, envelope) {
      await cmd.publish(channel(roomName), JSON.stringify(envelope));
    },
    async subscribe(roomName) {
      await sub.subscribe(channel(roomName));
    },
    async unsubscribe(roomName) {
      await sub.unsubscribe(channel(roomName));
    },
    onEnvelope(handler) {
      handlers.push(handler);
    },
    async deadProcesses(processes) {
      const unique = [...new Set(processes)];
      if (unique.length === 0) return new Set();
      const alive = await cmd.mget(unique.map(processKey));
      return new Set(unique.filter((_, i) => alive[i] === null));
    },
    async ping() {
      // While ioredis reconnects, a command would wait in its offline queue through the retries: answer at once.
      if (cmd.status !== 'ready') return false;
      let timeout: NodeJS.Timeout | undefined;
      const late = new Promise<string>((resolve) => (timeout = setTimeout(() => resolve('timeout'), PING_TIMEOUT_MS)));
      try {
        return (await Promise.race([cmd.ping(), late])) === 'PONG';
      } catch {
        return false;
      } finally {
        clearTimeout(timeout);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      // Gone at once: the other processes start the grace period of this one's members now.
      await cmd.del(processKey(processId)).catch(() => {});
      sub.disconnect();
      await cmd.quit().catch(() => cmd.disconnect());
    },
  };
}
