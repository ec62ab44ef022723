// A built-in room signaling socket over real HTTP, as the meeting page opens it, collecting what the server says.

/** Opens `/room/ws` on `baseUrl` with the server's own origin. */
export async function roomSocket(baseUrl: string) {
  // The ws client (a dependency of @fastify/websocket), as a browser would connect.
  const { WebSocket } = await import('ws');
  const ws = new WebSocket(`${baseUrl.replace('http', 'ws')}/room/ws`, { origin: baseUrl });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const messages: any[] = [];
  const closed = new Promise<number>((resolve) => ws.on('close', (code: number) => resolve(code)));
  ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString())));
  /** The first message of this type (waits up to 2 s). */
  const next = async (type: string | string[]) => {
    const types = [type].flat();
    for (let i = 0; i < 100; i++) {
      const found = messages.find((m) => types.includes(m.type));
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no ${types.join('/')} message; got ${JSON.stringify(messages)}`);
  };
  const send = (m: unknown) => ws.send(JSON.stringify(m));
  return {
    ws,
    messages,
    closed,
    next,
    send,
    /** Joins with a token; resolves to `joined` or the refusal (`error`). */
    async join(roomName: string, jwt: string, extra: object = {}) {
      send({ type: 'join', roomName, jwt, ...extra });
      return next(['joined', 'error']);
    },
  };
}
