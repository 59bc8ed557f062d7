import type { ServiceDefinition } from '@onevote/platform';
import { BallotsStream } from './adapters/ballots-stream.ts';
import { CountedBallots } from './adapters/counted-ballots.ts';
import { RelayState } from './adapters/relay-state.ts';
import { ReplicationSlot } from './adapters/replication-slot.ts';
import { ReplicationStream } from './adapters/replication-stream.ts';
import { configSchema } from './config.ts';
import { createRelayMetrics } from './metrics.ts';
import { Relay } from './use-cases/relay.ts';

/**
 * The relay: a worker with no public API (only its operations listener), booted by the platform
 * bootstrap like every service.
 */
export const relayService: ServiceDefinition<typeof configSchema, { app?: undefined; relay: Relay; slot: ReplicationSlot }> = {
  name: 'relay',
  configSchema,
  async build({ config, logger, metrics, postgres, nats, onClose }) {
    const sql = await postgres({
      url: config.DATABASE_URL,
      max: 2,

      migrations: { schema: 'relay', dir: new URL('../migrations/', import.meta.url) },
    });
    const nc = await nats(config.NATS_URL);
    const relayMetrics = createRelayMetrics(metrics);
    const slot = new ReplicationSlot(sql, { slot: config.RELAY_SLOT, publication: config.RELAY_PUBLICATION });
    await slot.waitForPublication();
    const relay = new Relay({
      source: new ReplicationStream(config.DATABASE_URL, { slot: config.RELAY_SLOT, publication: config.RELAY_PUBLICATION }),
      slot,
      stream: new BallotsStream(nc, {
        stream: config.BALLOTS_STREAM,
        replicas: config.BALLOTS_STREAM_REPLICAS,
        duplicateWindowMs: config.BALLOTS_DUPLICATE_WINDOW_SECONDS * 1000,
      }),
      state: new RelayState(sql),
      ballots: new CountedBallots(sql),
      metrics: relayMetrics,
      logger,
      options: {
        flushMs: config.RELAY_FLUSH_MS,
        flushBallots: config.RELAY_FLUSH_BALLOTS,
        streamCheckMs: config.RELAY_STREAM_CHECK_MS,
      },
    });
    const sampler = setInterval(() => {
      slot.lagBytes().then((bytes) => relayMetrics.slotLag.set(bytes), () => {});
    }, 5000);
    sampler.unref();
    await relay.prepare();
    relay.start();
    // Stopped before the clients close (closers run newest first).
    onClose(async () => {
      clearInterval(sampler);
      await relay.stop();
    });
    return { relay, slot };
  },
};
