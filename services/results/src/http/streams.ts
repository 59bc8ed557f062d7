import type { ServerResponse } from 'node:http';
import type { WebSocket } from 'ws';
import type { Snapshot, Subscriber } from '../live-results/live-results.ts';
import type { ResultsMetrics, Transport } from '../metrics.ts';

export interface StreamLimits {
  /**
   * Bytes a client may leave unread, at least; past it the connection is cut (held at most: this
   * + one frame). A few frames of the election are always allowed, so a big ballot is not cut at
   * its first frame.
   */
  maxBufferedBytes: number;
}

/** Frames of backlog a slow client may have before it is cut, whatever their size. */
const framesOfBacklog = 3;

/** How long one stream lives before it is ended and the client reconnects (±10%, spread apart). */
export function streamLifetimeMs(maxLifetimeSeconds: number, random = Math.random): number {
  return Math.round(maxLifetimeSeconds * 1000 * (0.9 + 0.2 * random()));
}

interface Stream extends Subscriber {
  readonly transport: Transport;
  /** Called every keepalive interval: an SSE comment, or a WebSocket ping (and the pong check). */
  keepalive(): void;
}

const keepaliveComment = Buffer.from(': keepalive\n\n');

/** A result stream as server-sent events, written to the hijacked response. */
export class SseStream implements Stream {
  readonly transport = 'sse';
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    public lastVersion: number,
    private readonly limits: StreamLimits,
    private readonly metrics: ResultsMetrics,
  ) {}

  deliver(snapshot: Snapshot): void {
    if (this.write(snapshot.sse)) {
      this.lastVersion = snapshot.version;
      this.metrics.frames.inc({ transport: 'sse' });
    }
  }

  keepalive(): void {
    this.write(keepaliveComment);
  }

  /** Ends the stream cleanly (shutdown, election removed): the client reconnects after `retry`. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const socket = this.res.socket;
    this.res.end();
    // A client that is not reading would hold the end (and shutdown) back; cut it instead.
    if (socket && socket.writableLength > 0) socket.destroy();
    else socket?.end();
  }

  private write(chunk: Buffer): boolean {
    const socket = this.res.socket;
    if (this.closed || !socket || socket.destroyed) return false;
    // The raw socket's queue is what a non-reading client makes grow: bound it. A client is cut
    // once its backlog is over the bound, so at most bound + one frame is ever held for it.
    const buffered = socket.writableLength + this.res.writableLength;
    if (buffered > Math.max(this.limits.maxBufferedBytes, framesOfBacklog * chunk.length)) {
      this.closed = true;
      this.metrics.slowClients.inc({ transport: 'sse' });
      socket.destroy();
      return false;
    }
    this.res.write(chunk);
    return true;
  }
}

/** A result stream over WebSocket: each message is the results JSON. */
export class WsStream implements Stream {
  readonly transport = 'ws';
  lastVersion = -1;
  private alive = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits: StreamLimits,
    private readonly metrics: ResultsMetrics,
  ) {
    ws.on('pong', () => {
      this.alive = true;
    });
  }

  deliver(snapshot: Snapshot): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > Math.max(this.limits.maxBufferedBytes, framesOfBacklog * snapshot.json.length)) {
      this.metrics.slowClients.inc({ transport: 'ws' });
      this.ws.terminate();
      return;
    }
    this.ws.send(snapshot.json, { binary: false });
    this.lastVersion = snapshot.version;
    this.metrics.frames.inc({ transport: 'ws' });
  }

  keepalive(): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    // No pong since the last ping: the peer is gone (or stuck); free the connection.
    if (!this.alive) {
      this.ws.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  close(): void {
    // Shutdown or election removed: going away (1001). A peer that does not answer the closing
    // handshake is cut by `terminate` in `StreamRegistry.closeAll`.
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(1001, 'going away');
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export interface AdmissionLimits {
  /** Streams this process holds at once (sized from the 10,000-connection measurement). */
  maxStreams: number;
  /** Streams one client address may hold at once. */
  maxPerClient: number;
}

/**
 * Every open stream of this process: one timer drives all keepalives (no timer per connection,
 * which matters at 10,000 connections), shutdown ends them all so `close()` does not hang, and
 * admission is bounded per process and per client address.
 */
export class StreamRegistry {
  private readonly streams = new Set<Stream>();
  private readonly perClient = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    keepaliveIntervalMs: number,
    private readonly metrics: ResultsMetrics,
    private readonly admission: AdmissionLimits = { maxStreams: Number.POSITIVE_INFINITY, maxPerClient: Number.POSITIVE_INFINITY },
  ) {
    this.timer = setInterval(() => {
      for (const stream of this.streams) stream.keepalive();
    }, keepaliveIntervalMs);
    this.timer.unref();
  }

  /** Why a new stream from `client` may not open now, or undefined when it may. */
  refusal(client: string): 'process_full' | 'client_full' | undefined {
    if (this.streams.size >= this.admission.maxStreams) return 'process_full';
    if ((this.perClient.get(client) ?? 0) >= this.admission.maxPerClient) return 'client_full';
    return undefined;
  }

  add(stream: Stream, client: string): () => void {
    this.streams.add(stream);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    this.metrics.connections.inc({ transport: stream.transport });
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.streams.delete(stream);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left > 0) this.perClient.set(client, left);
      else this.perClient.delete(client);
      this.metrics.connections.dec({ transport: stream.transport });
    };
  }

  closeAll(): void {
    clearInterval(this.timer);
    const websockets: WsStream[] = [];
    for (const stream of this.streams) {
      stream.close();
      if (stream instanceof WsStream) websockets.push(stream);
    }
    // The closing handshake gets a moment; a peer that does not answer is cut.
    if (websockets.length > 0) {
      setTimeout(() => {
        for (const ws of websockets) ws.terminate();
      }, 500).unref();
    }
  }
}
