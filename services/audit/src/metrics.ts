import type { Metrics } from '@onevote/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

/** The audit service's own metrics, on the process registry. */
export function createAuditMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  const lagBuckets = [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30];
  // Read at each scrape, so a signer that hangs still shows its leaves getting older.
  let oldestUnsigned: () => number | undefined = () => undefined;
  return {
    /** The head signer tells when its oldest leaf not yet under a signed head arrived (ms), if any. */
    watchUnsigned(oldest: () => number | undefined) {
      oldestUnsigned = oldest;
    },
    leaves: new Counter({
      name: 'audit_leaves_appended_total',
      help: 'Leaves appended to the logs, by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    appends: new Counter({
      name: 'audit_appends_total',
      help: 'Append transactions (one per election per batch): leaves appended / this = the batching',
      registers,
    }),
    redelivered: new Counter({
      name: 'audit_leaves_redelivered_total',
      help: 'Ballots and events delivered again and already in the log (not appended twice)',
      registers,
    }),
    heads: new Counter({
      name: 'audit_heads_signed_total',
      help: 'Tree heads signed, final or not',
      labelNames: ['final'] as const,
      registers,
    }),
    unsignedAge: new Gauge({
      name: 'audit_unsigned_leaf_age_seconds',
      help: 'Age of the oldest appended leaf that no signed tree head includes yet (0: every leaf is covered)',
      registers,
      collect() {
        const since = oldestUnsigned();
        this.set(since === undefined ? 0 : Math.max(0, (Date.now() - since) / 1000));
      },
    }),
    lag: new Histogram({
      name: 'audit_lag_seconds',
      help: "From a ballot's publication in BALLOTS to the first signed head that includes it",
      buckets: lagBuckets,
      registers,
    }),
    commitToHead: new Histogram({
      name: 'audit_commit_to_head_seconds',
      help: "From a ballot's commit in PostgreSQL (countedAt) to the first signed head that includes it",
      buckets: lagBuckets,
      registers,
    }),
    proofs: new Counter({
      name: 'audit_proof_requests_total',
      help: 'Log reads served, by kind (head, inclusion, consistency, entries, keys)',
      labelNames: ['kind'] as const,
      registers,
    }),
    anomalies: new Counter({
      name: 'audit_anomalies_total',
      help: 'Things that should not happen: a ballot after the final head, an unreadable message',
      labelNames: ['what'] as const,
      registers,
    }),
  };
}

export type AuditMetrics = ReturnType<typeof createAuditMetrics>;
