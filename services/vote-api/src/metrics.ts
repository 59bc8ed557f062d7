import { operationsOutcomeOf, type OperationsOutcome } from '@onevote/contracts';
import type { Metrics } from '@onevote/platform';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Elections per process with a per-election series: the most recently voted in (see ElectionBallots). */
export const electionSeriesMax = 64;

/** The vote path's own metrics, on the service's registry. */
export function createVoteMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  /** Each vote shard group's queue length, read when scraped (nothing to do per ballot). */
  const queueDepths = new Map<string, () => number>();
  return {
    queueDepths,
    ballots: new Counter({
      name: 'vote_ballots_total',
      help: 'Vote requests by outcome (counted, replayed, already_voted, or the refusal code) and reason',
      labelNames: ['outcome', 'reason'] as const,
      registers,
    }),
    electionBallots: electionBallots(registers),
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
    // Per vote shard group (`shard`: its number; one group: "0"): each has its own queue and breaker.
    commits: new Counter({
      name: 'vote_commits_total',
      help: 'Group-commit transactions by vote shard group and result',
      labelNames: ['shard', 'result'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'vote_commit_queue_depth',
      help: 'Ballots waiting for a group-commit transaction, per vote shard group',
      labelNames: ['shard'] as const,
      registers,
      collect() {
        for (const [shard, depth] of queueDepths) this.set({ shard }, depth());
      },
    }),
    queueLimit: new Gauge({
      name: 'vote_commit_queue_limit',
      help: 'How many ballots may wait for a group commit per vote shard group (COMMIT_MAX_QUEUE); more are answered 503',
      labelNames: ['shard'] as const,
      registers,
    }),
    breakerOpen: new Gauge({
      name: 'vote_store_breaker_open',
      help: "1 while a vote shard group's PostgreSQL circuit breaker is open (its ballots answered 503 at once)",
      labelNames: ['shard'] as const,
      registers,
    }),
  };
}

/**
 * Per-election outcome counts for the admin operations view. An election label on a hot metric
 * must be bounded: only elections that exist get one (the caller checks), and at most `max` of
 * them per process; the least recently voted-in one loses its series (its counts start again at 0
 * if it comes back, which rate() and the operations view read as a counter reset).
 *
 * A request only adds 1 to a number in a map (prom-client's labelled inc hashes and validates the
 * labels on every call, a few times the cost); the counter is filled from the map when scraped.
 */
export class ElectionBallots {
  /** Insertion order is recency: an election is moved to the end when it is counted. */
  private readonly recent = new Map<string, Partial<Record<OperationsOutcome, number>>>();
  private newest: string | undefined;

  constructor(
    private readonly counter: Counter<'election' | 'outcome'>,
    private readonly max = electionSeriesMax,
  ) {}

  /** The `collect` of the counter: its series are exactly the map's. */
  collect(): void {
    this.counter.reset();
    for (const [election, counts] of this.recent) {
      for (const [outcome, n] of Object.entries(counts)) this.counter.inc({ election, outcome }, n);
    }
  }

  inc(electionId: string, outcome: string, reason: string): void {
    const category = operationsOutcomeOf(outcome, reason);
    let counts = this.recent.get(electionId);
    if (counts) {
      // Already the newest: nothing to move (the common case under load, one election at a time).
      if (this.newest !== electionId) {
        this.recent.delete(electionId);
        this.recent.set(electionId, counts);
      }
    } else {
      if (this.recent.size >= this.max) this.recent.delete(this.recent.keys().next().value!);
      counts = {};
      this.recent.set(electionId, counts);
    }
    this.newest = electionId;
    counts[category] = (counts[category] ?? 0) + 1;
  }

  /** Elections with a series now, oldest first. */
  elections(): string[] {
    return [...this.recent.keys()];
  }
}

/** The counter behind ElectionBallots, filled from it at each scrape. */
function electionBallots(registers: Registry[]): ElectionBallots {
  let ballots: ElectionBallots | undefined;
  const counter: Counter<'election' | 'outcome'> = new Counter({
    name: 'vote_election_ballots_total',
    help: `Vote requests of an existing election by outcome category (the operations view's); only the ${electionSeriesMax} elections of this process voted in most recently have series`,
    labelNames: ['election', 'outcome'] as const,
    registers,
    collect: () => ballots?.collect(),
  });
  ballots = new ElectionBallots(counter);
  return ballots;
}

export type VoteMetrics = ReturnType<typeof createVoteMetrics>;
