import type { Metrics } from '@onevote/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

/** The relay's own metrics, on the process registry. */
export function createRelayMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    ballots: new Counter({ name: 'relay_ballots_published_total', help: 'Counted ballots published to BALLOTS', registers }),
    transactions: new Counter({
      name: 'relay_transactions_published_total',
      help: 'vote-api transactions (group commits) moved to BALLOTS',
      registers,
    }),
    lag: new Histogram({
      name: 'relay_lag_seconds',
      help: "From a transaction's commit in PostgreSQL to JetStream's acknowledgement of its ballots (one observation per transaction)",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30],
      registers,
    }),
    slotLag: new Gauge({
      name: 'relay_slot_lag_bytes',
      help: 'WAL between the newest write and the relay slot’s confirmed position, per vote shard group',
      labelNames: ['shard'] as const,
      registers,
    }),
    skipped: new Counter({
      name: 'relay_ballots_skipped_total',
      help: 'Ballots sent again by PostgreSQL (a slot rewound by a crash) that the stream already holds',
      registers,
    }),
    refills: new Counter({ name: 'relay_refills_total', help: 'BALLOTS streams refilled from PostgreSQL', registers }),
    errors: new Counter({ name: 'relay_errors_total', help: 'Replication sessions that failed and were started again', registers }),
  };
}

export type RelayMetrics = ReturnType<typeof createRelayMetrics>;
