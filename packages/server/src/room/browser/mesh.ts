// WebRTC mesh: one RTCPeerConnection per other participant; newcomers offer, members answer.
import type { SignalData } from '../protocol.js';

/** What the mesh needs from the page: ICE servers, local media, the signaling relay, and where streams go. */
export interface MeshOptions {
  iceServers: RTCIceServer[];
  localStream: () => MediaStream | null;
  sendSignal(to: string, data: SignalData): void;
  onStream(peerId: string, stream: MediaStream): void;
  onConnectionState(peerId: string, state: RTCPeerConnectionState): void;
}

interface Peer {
  pc: RTCPeerConnection;
  /** Everything this peer sends us, in one stream for its tile. */
  remote: MediaStream;
  /** We sent the offer: we also restart the link when it fails. */
  offerer: boolean;
  /** Signals for one peer are applied in order. */
  chain: Promise<void>;
}

/** The peer connections of one meeting page, keyed by participant id. */
export class Mesh {
  readonly #peers = new Map<string, Peer>();

  constructor(readonly options: MeshOptions) {}

  /** Starts a connection to a member already in the room (we are the newcomer). */
  connectTo(peerId: string) {
    const peer = this.#create(peerId, true);
    const pc = peer.pc;
    const stream = this.options.localStream();
    for (const kind of ['audio', 'video'] as const) {
      const track = stream?.getTracks().find((t) => t.kind === kind);
      // Without a device the slot still sends (nothing yet): a device allowed later is added by replaceTrack, no renegotiation.
      if (track) pc.addTrack(track, stream!);
      else pc.addTransceiver(kind, { direction: 'sendrecv', streams: stream ? [stream] : [] });
    }
    peer.chain = peer.chain.then(async () => {
      await pc.setLocalDescription(await pc.createOffer());
      this.options.sendSignal(peerId, { description: pc.localDescription!.toJSON() as { type: 'offer'; sdp: string } });
      performance.mark?.('v4h:offer-sent');
    });
  }

  /** Applies an offer, answer or ICE candidate from a peer. */
  handleSignal(from: string, data: SignalData) {
    if ('description' in data && data.description.type === 'offer') {
      // An offer always starts afresh: the sender has just joined or reconnected.
      this.drop(from);
      this.#create(from, false);
    }
    const peer = this.#peers.get(from);
    if (!peer) return;
    const pc = peer.pc;
    peer.chain = peer.chain
      .then(async () => {
        if ('description' in data) {
          performance.mark?.(`v4h:${data.description.type}-received`);
          await pc.setRemoteDescription(data.description);
          if (data.description.type === 'offer') {
            const stream = this.options.localStream();
            // One audio and one video slot per offer: each sends our track of its kind, or nothing until we have one.
            for (const kind of ['audio', 'video'] as const) {
              const slot = pc.getTransceivers().find((t) => t.receiver.track.kind === kind);
              if (!slot) continue;
              slot.direction = 'sendrecv';
              if (stream) slot.sender.setStreams?.(stream);
              await slot.sender.replaceTrack(stream?.getTracks().find((t) => t.kind === kind) ?? null);
            }
            await pc.setLocalDescription(await pc.createAnswer());
            this.options.sendSignal(from, { description: pc.localDescription!.toJSON() as { type: 'answer'; sdp: string } });
            performance.mark?.('v4h:answer-sent');
          }
        } else if (data.candidate) {
          await pc.addIceCandidate(data.candidate);
        }
      })
      .catch((error) => console.warn('v4h room: signaling with', from, 'failed:', error));
  }

  /** Sends another track of a kind to every peer (device switch, a device allowed later, screen share). */
  replaceTrack(kind: 'audio' | 'video', track: MediaStreamTrack | null) {
    for (const [id, peer] of this.#peers) {
      const slot = peer.pc.getTransceivers().find((t) => t.receiver.track.kind === kind && t.currentDirection !== 'stopped');
      slot?.sender.replaceTrack(track).catch((error) => console.warn('v4h room: replacing the track for', id, 'failed:', error));
    }
  }

  /** The peer connections, for stats sampling. */
  connections(): Array<[string, RTCPeerConnection]> {
    return [...this.#peers].map(([id, p]) => [id, p.pc]);
  }

  drop(peerId: string) {
    this.#peers.get(peerId)?.pc.close();
    this.#peers.delete(peerId);
  }

  dropAll() {
    for (const id of [...this.#peers.keys()]) this.drop(id);
  }

  #create(peerId: string, offerer: boolean): Peer {
    const pc = new RTCPeerConnection({ iceServers: this.options.iceServers });
    const peer: Peer = { pc, remote: new MediaStream(), offerer, chain: Promise.resolve() };
    this.#peers.set(peerId, peer);
    pc.onicecandidate = (event) => {
      if (event.candidate) this.options.sendSignal(peerId, { candidate: event.candidate.toJSON() });
    };
    pc.ontrack = (event) => {
      for (const old of peer.remote.getTracks()) if (old.kind === event.track.kind) peer.remote.removeTrack(old);
      peer.remote.addTrack(event.track);
      this.options.onStream(peerId, peer.remote);
    };
    pc.onconnectionstatechange = () => {
      if (this.#peers.get(peerId)?.pc !== pc) return;
      if (pc.connectionState === 'connected') performance.mark?.('v4h:connected');
      this.options.onConnectionState(peerId, pc.connectionState);
      // A failed media path (network change) while signaling still works: start that link afresh.
      if (pc.connectionState === 'failed' && offerer) {
        setTimeout(() => {
          if (this.#peers.get(peerId)?.pc !== pc) return;
          this.drop(peerId);
          this.connectTo(peerId);
        }, 1000);
      }
    };
    return peer;
  }
}
