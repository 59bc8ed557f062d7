import { operationsOutcomeOf, type OperationsOutcome } from '@onevote/contracts';
import type { Metrics } from '@onevote/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

/** Elections per process with a per-election series: the most recently voted in (see ElectionBallots). */
export const electionSeriesMax = 64;

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
    electionBallots: new ElectionBallots(
      new Counter({
        name: 'vote_election_ballots_total',
        help: `Vote requests of an existing election by outcome category (the operations view's); only the ${electionSeriesMax} elections of this process voted in most recently have series`,
        labelNames: ['election', 'outcome'] as const,
        registers,
      }),
    ),
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
    breakerOpen: new Gauge({
      name: 'vote_store_breaker_open',
      help: '1 while the PostgreSQL circuit breaker is open (ballots answered 503 at once)',
      registers,
    }),
  };
}

/**
 * Per-election outcome counts for the admin operations view. An election label on a hot metric
 * must be bounded: only elections that exist get one (the caller checks), and at most `max` of
 * them per process; the least recently voted-in one loses its series (its counts start again at 0
 * if it comes back, which rate() and the operations view read as a counter reset).
 */
export class ElectionBallots {
  /** Insertion order is recency: an election is moved to the end when it is counted. */
  private readonly recent = new Map<string, Set<OperationsOutcome>>();

  constructor(
    readonly counter: Counter<'election' | 'outcome'>,
    private readonly max = electionSeriesMax,
  ) {}

  inc(electionId: string, outcome: string, reason: string): void {
    const category = operationsOutcomeOf(outcome, reason);
    let seen = this.recent.get(electionId);
    if (seen) {
      // Already the newest: nothing to move (the common case under load, one election at a time).
      if (this.newest !== electionId) {
        this.recent.delete(electionId);
        this.recent.set(electionId, seen);
      }
    } else {
      if (this.recent.size >= this.max) this.evictOldest();
      seen = new Set();
      this.recent.set(electionId, seen);
    }
    this.newest = electionId;
    seen.add(category);
    this.counter.inc({ election: electionId, outcome: category });
  }

  /** Elections with a series now, oldest first. */
  elections(): string[] {
    return [...this.recent.keys()];
  }

  private newest: string | undefined;

  private evictOldest(): void {
    const [oldest, outcomes] = this.recent.entries().next().value as [string, Set<OperationsOutcome>];
    for (const outcome of outcomes) this.counter.remove({ election: oldest, outcome });
    this.recent.delete(oldest);
  }
}

export type VoteMetrics = ReturnType<typeof createVoteMetrics>;
