import { type JetStreamClient, JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { type ElectionEvent, natsNames } from '@onevote/contracts';
import { type Logger, scaleUpStream } from '@onevote/platform';

/**
 * JetStream `ELECTION_EVENTS`, which ballot owns: each history entry of an election as an event
 * for the audit log, with the entry's sequence number in its message id, so a retried publish is
 * stored once.
 */
export class ElectionEventsStream {
  private readonly js: JetStreamClient;
  private ensured: Promise<void> | undefined;

  constructor(
    private readonly nc: NatsConnection,
    /** `replicas`: `NATS_REPLICAS` (a new stream gets these, an existing one with fewer is scaled up). */
    private readonly options: { stream: string; replicas: number },
    private readonly logger: Logger,
  ) {
    this.js = jetstream(nc);
  }

  async publish(event: ElectionEvent): Promise<void> {
    await (this.ensured ??= this.ensure().catch((err) => {
      this.ensured = undefined;
      throw err;
    }));
    await this.js.publish(natsNames.electionEvent(this.options.stream, event.electionId), JSON.stringify(event), {
      msgID: `${event.electionId}:${event.seq}`,
    });
  }

  private async ensure(): Promise<void> {
    const jsm = await jetstreamManager(this.nc);
    try {
      const info = await jsm.streams.info(this.options.stream);
      await scaleUpStream(this.nc, this.options.stream, this.options.replicas, this.logger, info);
      return;
    } catch (err) {
      if (!(err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound)) throw err;
    }
    await jsm.streams.add({
      name: this.options.stream,
      subjects: [`${natsNames.electionEventsPrefix}.${this.options.stream}.>`],
      storage: 'file' as never,
      num_replicas: this.options.replicas,
      duplicate_window: nanos(10 * 60_000),
    });
  }
}
