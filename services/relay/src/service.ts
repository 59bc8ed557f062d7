import { shardUrls } from '@onevote/election-config';
import { readiness, type ServiceDefinition, type Sql } from '@onevote/platform';
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
 * bootstrap like every service. It reads every vote shard group (VOTE_SHARD_URLS; one group:
 * DATABASE_URL): a replication stream of its own slot per group, each group's state (relay schema)
 * on that group, all publishing into the one BALLOTS stream. A group that is down stops only its
 * own relay, which resumes from its slot when the group is back.
 */
export const relayService: ServiceDefinition<
  typeof configSchema,
  { app?: undefined; relay: Relay; slot: ReplicationSlot; relays: Relay[]; slots: ReplicationSlot[] }
> = {
  name: 'relay',
  configSchema,
  async build({ config, logger, metrics, postgres, nats, onClose, ready }) {
    const urls = shardUrls(config);
    const nc = await nats(config.NATS_URL);
    const relayMetrics = createRelayMetrics(metrics);
    const stream = new BallotsStream(
      nc,
      {
        stream: config.BALLOTS_STREAM,
        replicas: config.NATS_REPLICAS,
        duplicateWindowMs: config.BALLOTS_DUPLICATE_WINDOW_SECONDS * 1000,
      },
      logger,
    );
    const pools: Sql[] = [];
    const slots: ReplicationSlot[] = [];
    const relays: Relay[] = [];
    for (const [shard, url] of urls.entries()) {
      const sql = await postgres({
        url,
        max: 2,
        ...(urls.length > 1 ? { applicationName: `relay shard ${shard}`, ready: false } : {}),
        migrations: { schema: 'relay', dir: new URL('../migrations/', import.meta.url) },
      });
      pools.push(sql);
      const slot = new ReplicationSlot(sql, { slot: config.RELAY_SLOT, publication: config.RELAY_PUBLICATION });
      await slot.waitForPublication();
      slots.push(slot);
      relays.push(
        new Relay({
          source: new ReplicationStream(url, { slot: config.RELAY_SLOT, publication: config.RELAY_PUBLICATION }),
          slot,
          stream,
          state: new RelayState(sql),
          ballots: new CountedBallots(sql),
          metrics: relayMetrics,
          logger,
          options: {
            shard,
            shards: urls.length,
            flushMs: config.RELAY_FLUSH_MS,
            flushBallots: config.RELAY_FLUSH_BALLOTS,
            streamCheckMs: config.RELAY_STREAM_CHECK_MS,
          },
        }),
      );
    }
    // Several groups: ready while any answers (the others' ballots keep flowing).
    if (pools.length > 1) ready(readiness.postgresShards(pools));
    const sampler = setInterval(() => {
      slots.forEach((slot, shard) => {
        slot.lagBytes().then((bytes) => relayMetrics.slotLag.set({ shard: String(shard) }, bytes), () => {});
      });
    }, 5000);
    sampler.unref();
    // Every slot is made before the relay is ready, so a fresh relay misses nothing; with several
    // groups one that is away at boot gets its slot when it is back (the relay's loop makes it).
    await Promise.all(
      relays.map((relay, shard) =>
        relay.prepare().catch((err: unknown) => {
          if (relays.length === 1) throw err;
          logger.warn({ err: (err as Error).message, shard }, 'replication slot not made at boot; the relay makes it when the group answers');
        }),
      ),
    );
    for (const relay of relays) relay.start();
    // Stopped before the clients close (closers run newest first).
    onClose(async () => {
      clearInterval(sampler);
      await Promise.all(relays.map((relay) => relay.stop()));
    });
    return { relay: relays[0]!, slot: slots[0]!, relays, slots };
  },
};
