// The body of GET /api/ice-servers: the STUN/TURN servers a browser uses for the pre-call check (docs/api.md).
import { Type, type Static } from 'typebox';

/** One RTCIceServer, as RTCPeerConnection takes it. */
export const IceServer = Type.Object({
  urls: Type.Union([Type.String(), Type.Array(Type.String())]),
  username: Type.Optional(Type.String()),
  credential: Type.Optional(Type.String()),
});
export type IceServer = Static<typeof IceServer>;

export const IceServersReply = Type.Object({
  iceServers: Type.Array(IceServer, {
    description: "the server's configured STUN/TURN servers (V4H_ICE_SERVERS), then its TURN server with credentials of its own",
  }),
  expiresAt: Type.Union([Type.Number(), Type.Null()], {
    description: 'when the TURN credentials stop working, ms since the epoch; null without V4H_TURN_URLS',
  }),
});
export type IceServersReply = Static<typeof IceServersReply>;
