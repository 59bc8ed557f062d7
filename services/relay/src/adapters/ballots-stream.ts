import {
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { type BallotsCounted, natsNames } from '@onevote/contracts';
import { isTransientJetStreamError, type Logger, retryTransient, scaleUpStream } from '@onevote/platform';
import { lsnToBigInt } from '../domain/pgoutput.ts';

/** What goes into one message of the stream: one transaction's ballots of one election. */
export interface BallotsMessage {
  subject: string;
  /** Nats-Msg-Id: JetStream drops a second message with the same id within the duplicate window. */
  msgId: string;
  payload: Uint8Array;
}

export interface BallotsStreamOptions {
  stream: string;
  /** `NATS_REPLICAS`: a new stream gets these, an existing one with fewer is scaled up. */
  replicas: number;
  duplicateWindowMs: number;
  /**
   * How long a publish that got no answer (a stream between leaders after a NATS node died) is
   * sent again before the flush fails (and the relay starts again from its slot). Default 30 s.
   */
  publishRetryMs?: number;
}

/**
 * The JetStream stream `BALLOTS` that the relay owns: created on first use (file storage, replicas
 * as configured), published to with a message id per flush and election (the last transaction's commit
 * position) so a flush sent again is stored once. JetStream is not where a ballot is accepted (ARCHITECTURE.md): it can
 * be lost and refilled from PostgreSQL.
 */
export class BallotsStream {
  private readonly js: JetStreamClient;
  private manager: Promise<JetStreamManager> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: BallotsStreamOptions,
    private readonly logger: Logger,
  ) {
    this.js = jetstream(nc);
  }

  subject(electionId: string): string {
    return natsNames.ballotsCounted(this.options.stream, electionId);
  }

  /**
   * Makes sure the stream exists; returns when it was created (an identity for this incarnation of
   * the stream: a stream lost and made again has another) and whether this call created it.
   */
  async ensure(): Promise<{ created: string; createdNow: boolean }> {
    const jsm = await (this.manager ??= jetstreamManager(this.nc));
    try {
      const info = await jsm.streams.info(this.options.stream);
      await scaleUpStream(this.nc, this.options.stream, this.options.replicas, this.logger, info);
      return { created: info.created, createdNow: false };
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    }
    try {
      const info = await jsm.streams.add({
        name: this.options.stream,
        subjects: [`${natsNames.ballotsPrefix}.${this.options.stream}.>`],
        storage: 'file' as never,
        num_replicas: this.options.replicas,
        duplicate_window: nanos(this.options.duplicateWindowMs),
      });
      return { created: info.created, createdNow: true };
    } catch (err) {
      // Another relay (another shard group's, or a replica) made it meanwhile: that one it is.
      const info = await jsm.streams.info(this.options.stream).catch(() => undefined);
      if (info) return { created: info.created, createdNow: false };
      throw err;
    }
  }

  /**
   * The commit position of the newest message in the stream, if it came from the slot. A slot's
   * confirmed position is saved only at checkpoints, so after a PostgreSQL crash it can be behind
   * what the stream already holds: transactions at or below this are not published again.
   */
  async lastCommitLsn(afterSeq = 0): Promise<bigint | undefined> {
    // A message at or before `afterSeq` came from an earlier slot (before a failover): its position
    // is not one the current slot's are comparable with.
    const body = await this.lastMessage(afterSeq);
    return body?.commitLsn ? lsnToBigInt(body.commitLsn) : undefined;
  }

  /** When the newest message's (last) transaction was committed, if the stream holds any. */
  async lastCommittedAt(): Promise<Date | undefined> {
    const body = await this.lastMessage(0);
    return body ? new Date(body.committedAt) : undefined;
  }

  /** The sequence number of the newest message (0 for an empty stream). */
  async lastSeq(): Promise<number> {
    const jsm = await (this.manager ??= jetstreamManager(this.nc));
    return (await jsm.streams.info(this.options.stream)).state.last_seq;
  }

  private async lastMessage(afterSeq: number): Promise<BallotsCounted | undefined> {
    const jsm = await (this.manager ??= jetstreamManager(this.nc));
    const info = await jsm.streams.info(this.options.stream);
    if (!info.state.last_seq || info.state.last_seq <= afterSeq || info.state.messages === 0) return undefined;
    const last = await jsm.streams.getMessage(this.options.stream, { seq: info.state.last_seq });
    return last?.json<BallotsCounted>();
  }

  /**
   * Publishes every message and resolves once JetStream has acknowledged them all. A publish that
   * timed out or found no stream leader is sent again (same message id: stored once) until
   * `publishRetryMs`; the acks are what the relay confirms its slot position on.
   */
  async publish(messages: BallotsMessage[]): Promise<void> {
    let retried = false;
    await Promise.all(
      messages.map((m) =>
        retryTransient(() => this.publishOnce(m), {
          deadlineMs: this.options.publishRetryMs ?? 30_000,
          onRetry: (err) => {
            if (!retried) this.logger.warn({ err: (err as Error).message }, 'BALLOTS publish not acknowledged; sending again');
            retried = true;
          },
        }),
      ),
    );
  }

  /**
   * One publish. Nobody answering is also what a deleted stream looks like: then there is no
   * point sending again (the relay makes the stream anew and refills it), so that is asked.
   */
  private async publishOnce(m: BallotsMessage): Promise<void> {
    try {
      await this.js.publish(m.subject, m.payload, { msgID: m.msgId });
    } catch (err) {
      if (isTransientJetStreamError(err) && (await this.streamIsGone())) {
        throw new Error(`the stream ${this.options.stream} does not exist`, { cause: err });
      }
      throw err;
    }
  }

  private async streamIsGone(): Promise<boolean> {
    const jsm = await (this.manager ??= jetstreamManager(this.nc));
    try {
      await jsm.streams.info(this.options.stream);
      return false;
    } catch (err) {
      return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
    }
  }
}
