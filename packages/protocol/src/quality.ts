// The body of GET /api/conferences/:sessionId/quality: the built-in room's call quality summaries (docs/room.md).
import { Type, type Static } from 'typebox';

const Pair = (a: string, b: string, description: string) =>
  Type.Union([Type.Object({ [a]: Type.Number(), [b]: Type.Number() }, { additionalProperties: false }), Type.Null()], { description });

export const QualityReply = Type.Object({
  sessionId: Type.String(),
  participants: Type.Array(
    Type.Object({
      participantId: Type.String({ description: "the room's participant id (r-…), as in the event log" }),
      reportedAt: Type.Number({ description: 'when the page last reported, ms since the epoch' }),
      durationSeconds: Type.Number({ description: 'seconds of the call that were sampled' }),
      samples: Type.Integer({ description: 'link samples (one per other participant every 2 s)' }),
      seconds: Type.Object({ good: Type.Number(), warning: Type.Number(), bad: Type.Number() }, { description: 'seconds in each state (worst link)' }),
      rttMs: Pair('avg', 'max', 'round-trip time, ms'),
      packetLoss: Pair('avg', 'max', 'fraction of received packets lost (0–1)'),
      bitrateKbps: Pair('avg', 'min', 'received bitrate per link, kbit/s'),
    }),
  ),
});
export type QualityReply = Static<typeof QualityReply>;
