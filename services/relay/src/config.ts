import { natsNames } from '@onevote/contracts';
import { voteShardProperties } from '@onevote/election-config';
import { natsConfigProperties, serviceConfig } from '@onevote/platform';
import { type Static, Type } from '@sinclair/typebox';

const int = (minimum: number, maximum: number, defaultValue: number) =>
  Type.Integer({ minimum, maximum, default: defaultValue });

export const configSchema = serviceConfig({
  /** Role `onevote_relay` (REPLICATION; reads votes.ballots' leaf columns only) on vote-api's database. */
  DATABASE_URL: Type.String({ minLength: 1 }),
  ...voteShardProperties,
  /** One or more comma-separated `nats://[user:password@]host:port` (every node of a cluster). */
  NATS_URL: Type.String({ minLength: 1 }),
  ...natsConfigProperties,
  /** The relay's logical replication slot (one per relay deployment and vote shard group; PostgreSQL keeps its position). */
  RELAY_SLOT: Type.String({ default: 'onevote_relay', pattern: '^[a-z0-9_]{1,63}$' }),
  /** vote-api's publication of `votes.ballots` (migration 003). */
  RELAY_PUBLICATION: Type.String({ default: 'onevote_ballots', pattern: '^[a-z0-9_]{1,63}$' }),
  /** The JetStream stream of counted ballots (its subjects are `onevote.ballots.<stream>.<election>`). */
  BALLOTS_STREAM: Type.String({ default: natsNames.ballotsStream, pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  /** How long JetStream remembers a message id to drop a repeat (a relay restart re-sends at most a read). */
  BALLOTS_DUPLICATE_WINDOW_SECONDS: int(10, 86_400, 120),
  /**
   * Committed transactions are published together at most this often (the relay's share of the
   * lag). 50 ms rather than 20 cost relay and NATS ~8 µs less per ballot in the bench, for ~15 ms
   * more lag (docs/benchmarks.md).
   */
  RELAY_FLUSH_MS: int(1, 10_000, 50),
  /** ...or as soon as this many ballots are waiting. */
  RELAY_FLUSH_BALLOTS: int(1, 1_000_000, 2000),
  /** How often the relay checks that BALLOTS still exists (and refills it if it was lost). */
  RELAY_STREAM_CHECK_MS: int(100, 600_000, 5000),
});

export type Config = Static<typeof configSchema>;
