import type { Metrics } from '@onevote/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

/** The vote path's own metrics, on the service's registry. */
export function createVoteMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    ballots: new Counter({
      name: 'vote_ballots_total',
      help: 'Vote requests by outcome (counted, replayed, already_voted, or the refusal code) and reason',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    }),
    risk: new Counter({
      name: 'vote_risk_decisions_total',
      help: 'Risk rule decisions that were not "allow", by outcome and reason',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    }),
    fastPath: new Counter({
      name: 'vote_fast_path_total',
      help: 'Redis "already voted" lookups: hit, miss, error, or stale (a hit PostgreSQL did not confirm)',
      labelNames: ['result'] as const,
      registers,
    }),
    batchSize: new Histogram({
      name: 'vote_commit_batch_size',
      help: 'Ballots per group-commit transaction',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    commitLatency: new Histogram({
      name: 'vote_commit_duration_seconds',
      help: 'Time of one group-commit transaction, including waiting for a connection',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    commits: new Counter({
      name: 'vote_commits_total',
      help: 'Group-commit transactions by result',
      labelNames: ['result'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'vote_commit_queue_depth',
      help: 'Ballots waiting for a group-commit transaction',
      registers,
    }),
    queueLimit: new Gauge({
      name: 'vote_commit_queue_limit',
      help: 'How many ballots may wait for a group commit (COMMIT_MAX_QUEUE); more are answered 503',
      registers,
    }),
    breakerOpen: new Gauge({
      name: 'vote_store_breaker_open',
      help: '1 while the PostgreSQL circuit breaker is open (ballots answered 503 at once)',
      registers,
    }),
  };
}

export type VoteMetrics = ReturnType<typeof createVoteMetrics>;
