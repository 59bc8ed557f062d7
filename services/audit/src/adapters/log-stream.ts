import {
  AckPolicy,
  type Consumer,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import type { Logger } from '@onevote/platform';

export interface LogStreamOptions {
  stream: string;
  /** The durable consumer's name: its position survives audit restarts. */
  durable: string;
  /** Messages handed out in one batch at most. */
  batch: number;
  /** After the first message of a batch, how long more are waited for (ms). */
  lingerMs: number;
  /** Unacknowledged messages the server hands out at most (bounds audit's in-flight work). */
  maxAckPending: number;
  /** A message not acknowledged in this long is delivered again. */
  ackWaitMs: number;
}

/** How long `next` waits for a first message before it answers with an empty batch. */
const idleMs = 1000;

/** How long one pull request stays open (its heartbeats come at half this). */
const pullExpiresMs = 5000;

/**
 * A durable pull consumer of a JetStream stream (BALLOTS or ELECTION_EVENTS), read continuously
 * (the client keeps pull requests open, so a message is here as soon as it is stored) and handed
 * out in batches with explicit acks. A stream that does not exist yet (its publisher has not
 * started) or that was lost and made again is waited for, and the consumer made anew on it
 * (reading the new stream from its start: the log appends each ballot and event once, whatever is
 * delivered again).
 */
export class LogStream {
  private messages: ConsumerMessages | undefined;
  private buffer: JsMsg[] = [];
  private broken: Error | undefined;
  private arrived: (() => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: LogStreamOptions,
    private readonly logger: Logger,
  ) {}

  /**
   * The next batch: what has arrived by `lingerMs` after its first message (or `batch` messages,
   * if sooner); empty after a second without any; undefined when the stream is away.
   */
  async next(): Promise<JsMsg[] | undefined> {
    try {
      this.messages ??= await this.start();
    } catch (err) {
      this.logger.debug({ stream: this.options.stream, err: (err as Error).message }, 'log stream not readable yet');
      return undefined;
    }
    if (this.buffer.length === 0) await this.until(() => this.buffer.length > 0, idleMs);
    if (this.buffer.length > 0 && this.buffer.length < this.options.batch) {
      await this.until(() => this.buffer.length >= this.options.batch, this.options.lingerMs);
    }
    if (this.buffer.length === 0 && this.broken) {
      // The stream or the consumer is gone (deleted, NATS restarted without them): bind again.
      this.logger.debug({ stream: this.options.stream, err: this.broken.message }, 'log stream lost; binding again');
      this.messages = undefined;
      this.broken = undefined;
      return undefined;
    }
    return this.buffer.splice(0, this.options.batch);
  }

  /** Stops reading; what arrived but was not handed out goes back to the stream at once. */
  async close(): Promise<void> {
    await this.messages?.close();
    for (const m of this.buffer.splice(0)) m.nak();
  }

  private async start(): Promise<ConsumerMessages> {
    const consumer = await this.bind();
    const messages = await consumer.consume({
      max_messages: this.options.batch,
      // Each pull lasts 5 s, with a heartbeat every 2.5 s (the client's default: 30 s and 15 s). A
      // pull held by a NATS node that died is noticed after two missed heartbeats, and the client
      // then pulls again, retrying every `expires`: audit resumed ~9 s after its consumer's leader
      // died on a cluster, against ~45 s with the defaults (tools/stack/test/nats-cluster.test.ts).
      expires: pullExpiresMs,
      // Give up on a deleted stream or consumer instead of waiting for it to come back: it comes back
      // as a new stream, which needs a new consumer from its start.
      abort_on_missing_resource: true,
    });
    void (async () => {
      try {
        for await (const m of messages) {
          this.buffer.push(m);
          if (this.buffer.length === 1 || this.buffer.length >= this.options.batch) this.arrived?.();
        }
        this.broken = new Error('the consumer stopped');
      } catch (err) {
        this.broken = err as Error;
      }
      this.arrived?.();
    })();
    return messages;
  }

  /** Waits until `done` holds, the consumer breaks, or `ms` pass. */
  private async until(done: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!done() && !this.broken && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.arrived = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.arrived = undefined;
    }
  }

  private async bind(): Promise<Consumer> {
    const jsm = await jetstreamManager(this.nc);
    await jsm.streams.info(this.options.stream);
    try {
      await jsm.consumers.info(this.options.stream, this.options.durable);
    } catch (err) {
      if (!(err instanceof JetStreamApiError)) throw err;
      await jsm.consumers.add(this.options.stream, {
        durable_name: this.options.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        max_ack_pending: this.options.maxAckPending,
        ack_wait: nanos(this.options.ackWaitMs),
      });
    }
    return jetstream(this.nc).consumers.get(this.options.stream, this.options.durable);
  }
}
