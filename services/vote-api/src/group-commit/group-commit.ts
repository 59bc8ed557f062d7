import { AppError, type Logger, sampledSpanContext, type SpanContext, SpanKind, withBatchSpan, withSpan } from '@onevote/platform';
import type { VoteMetrics } from '../metrics.ts';
import type { BallotStore, BallotToCommit, CommitResult, StoredBallot } from '../adapters/ballot-store.ts';
import { seat } from '../adapters/ballot-store.ts';
import { CircuitBreaker } from './circuit-breaker.ts';

export interface GroupCommitOptions {
  maxBatch: number;
  maxWaitMs: number;
  concurrency: number;
  maxQueue: number;
  latencyLimitMs: number;
  timeoutMs: number;
  breakerFailures: number;
  breakerOpenMs: number;
  /** The vote shard group this committer writes to (its metrics' `shard` label); 0 by default. */
  shard?: number;
}

/** How a submitted ballot ended: the ballot that holds the voter's seat, and whether it is this one. */
export interface Seat {
  stored: StoredBallot;
  /** True when this very ballot was inserted by the commit. */
  counted: boolean;
}

/** Told after each successful commit (Redis hints, NATS notifications); never fails a commit. */
export type CommitListener = (result: CommitResult, seats: Map<string, StoredBallot>) => void;

interface Waiter {
  ballot: BallotToCommit;
  /** The submitting request's span, when it is sampled: the batch's span links to it. */
  trace: SpanContext | undefined;
  resolve: (seat: Seat) => void;
  reject: (err: unknown) => void;
}

const retryableCodes = new Set(['40P01', '40001']);

/**
 * Gathers concurrent ballots into one transaction (up to `maxBatch`, or what arrived within
 * `maxWaitMs`), with at most `concurrency` transactions in flight, and answers each waiter from the
 * commit's result. The queue is bounded and the store guarded by a circuit breaker: when either
 * says no, the ballot is refused at once with 503 and nothing is recorded. One per vote shard group,
 * so a group that is down or slow never holds up another group's ballots.
 */
export class GroupCommitter {
  private queue: Waiter[] = [];
  /** Start time (ms) of each transaction in flight, by batch number. */
  private readonly inFlight = new Map<number, number>();
  private batches = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private readonly breaker: CircuitBreaker;
  private readonly listeners: CommitListener[] = [];
  private stopped = false;
  private readonly now: () => number;
  /** The `shard` label of this committer's metrics. */
  private readonly labels: { shard: string };

  constructor(
    private readonly store: BallotStore,
    private readonly options: GroupCommitOptions,
    private readonly deps: { logger: Logger; metrics: VoteMetrics; now?: () => number },
  ) {
    this.now = deps.now ?? Date.now;
    this.labels = { shard: String(options.shard ?? 0) };
    deps.metrics.queueLimit.set(this.labels, options.maxQueue);
    deps.metrics.queueDepths.set(this.labels.shard, () => this.queue.length);
    deps.metrics.breakerOpen.set(this.labels, 0);
    this.breaker = new CircuitBreaker({
      failures: options.breakerFailures,
      openMs: options.breakerOpenMs,
      onChange: (state) => {
        deps.metrics.breakerOpen.set(this.labels, state === 'open' ? 1 : 0);
        deps.logger.warn({ state, shard: options.shard ?? 0 }, 'ballot store circuit breaker');
      },
    });
  }

  onCommit(listener: CommitListener) {
    this.listeners.push(listener);
  }

  /** Whether the store is currently refused by the breaker (used by reads too). */
  get storeAvailable(): boolean {
    return this.breaker.allows(this.now());
  }

  get breakerState() {
    return this.breaker.current;
  }

  submit(ballot: BallotToCommit): Promise<Seat> {
    const now = this.now();
    if (this.stopped) throw unavailable('shutting down');
    if (!this.breaker.allows(now)) {
      throw unavailable('the ballot store is unavailable', this.breaker.retryInMs(now) / 1000);
    }
    // Half open: one batch tries the store; whoever comes while it runs is answered at once rather
    // than made to wait for a store that most likely is still down (its voters' 503s stay fast).
    if (this.breaker.current === 'half_open' && this.inFlight.size > 0) {
      throw unavailable('the ballot store is unavailable');
    }
    if (this.queue.length >= this.options.maxQueue) throw unavailable('too many ballots are waiting');
    for (const started of this.inFlight.values()) {
      if (now - started > this.options.latencyLimitMs) throw unavailable('commits are too slow right now');
    }
    return new Promise<Seat>((resolve, reject) => {
      this.queue.push({ ballot, trace: sampledSpanContext(), resolve, reject });
      this.schedule();
    });
  }

  /** Commits what is queued, then refuses new ballots. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.queue.length > 0 || this.inFlight.size > 0) {
      this.flush();
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule() {
    if (this.inFlight.size >= this.options.concurrency) return; // a finishing commit flushes
    if (this.queue.length >= this.options.maxBatch) {
      this.flush();
      return;
    }
    if (this.timer) return;
    // With no wait configured, still gather what arrives in the same turn of the event loop.
    this.timer =
      this.options.maxWaitMs === 0
        ? setImmediate(() => this.flushFromTimer())
        : setTimeout(() => this.flushFromTimer(), this.options.maxWaitMs);
  }

  private flushFromTimer() {
    this.timer = undefined;
    this.flush();
  }

  private flush() {
    while (this.queue.length > 0 && this.inFlight.size < this.options.concurrency) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      void this.traced(batch);
    }
  }

  /**
   * One span per batch, linked from each traced ballot's span (and a child of the first one's, so
   * the first ballot's trace runs on to the commit and the tally notification it sends).
   */
  private traced(waiters: Waiter[]) {
    return withBatchSpan(
      'vote.commit_batch',
      waiters.map((w) => w.trace),
      { 'onevote.batch.ballots': waiters.length },
      () => this.run(waiters),
    );
  }

  private async run(waiters: Waiter[]) {
    const started = performance.now();
    const id = ++this.batches;
    this.inFlight.set(id, this.now());
    // One ballot per seat goes to the database; later ones for the same seat (a voter's parallel
    // attempts in this batch) are answered from the winner's result.
    const winners = new Map<string, BallotToCommit>();
    for (const { ballot } of waiters) {
      const key = seat(ballot.electionId, ballot.voterId);
      if (!winners.has(key)) winners.set(key, ballot);
    }
    const ballots = [...winners.values()];
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const attempt = this.commitWithRetry(ballots);
    try {
      const result = await Promise.race([
        attempt,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            timedOut = true;
            reject(unavailable('the ballot store did not answer in time'));
          }, this.options.timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      this.breaker.success();
      this.deps.metrics.commits.inc({ ...this.labels, result: 'ok' });
      this.deps.metrics.batchSize.observe(ballots.length);
      this.deps.metrics.commitLatency.observe((performance.now() - started) / 1000);
      const seats = seatsOf(result);
      const counted = new Set(result.inserted.map((b) => b.receiptId));
      for (const waiter of waiters) {
        const stored = seats.get(seat(waiter.ballot.electionId, waiter.ballot.voterId));
        if (stored) waiter.resolve({ stored, counted: counted.has(waiter.ballot.receiptId) });
        else waiter.reject(unavailable('the ballot could not be resolved'));
      }
      this.tell(result, seats);
    } catch (err) {
      clearTimeout(timer);
      this.breaker.failure(this.now());
      this.deps.metrics.commits.inc({ ...this.labels, result: timedOut ? 'timeout' : 'error' });
      this.deps.logger.warn(
        { err: (err as Error).message, code: (err as { code?: string }).code, ballots: ballots.length, shard: this.labels.shard },
        'group commit failed',
      );
      const answer =
        err instanceof AppError ? err : unavailable('the ballot store is unavailable', undefined, err);
      for (const waiter of waiters) waiter.reject(answer);
    } finally {
      // A timed-out commit keeps its connection until the server gives up (statement timeout), so it
      // keeps its place in flight: new ballots see it through the latency limit.
      if (timedOut) {
        // Committed after its ballots were answered 503: their retries will find them; the
        // hints and tally notifications still go out.
        const late = await attempt.catch(() => undefined);
        if (late) this.tell(late, seatsOf(late));
      }
      this.inFlight.delete(id);
      if (this.queue.length > 0) this.flush();
    }
  }

  private tell(result: CommitResult, seats: Map<string, StoredBallot>) {
    for (const listener of this.listeners) {
      try {
        listener(result, seats);
      } catch (err) {
        this.deps.logger.warn({ err }, 'commit listener failed');
      }
    }
  }

  private async commitWithRetry(ballots: BallotToCommit[]): Promise<CommitResult> {
    try {
      return await this.commitOnce(ballots);
    } catch (err) {
      // A deadlock or serialization failure rolled the whole statement back: safe to run again.
      if (retryableCodes.has((err as { code?: string }).code ?? '')) return this.commitOnce(ballots);
      throw err;
    }
  }

  /** The transaction, as a span of its own (postgres.js has no instrumentation to make one). */
  private commitOnce(ballots: BallotToCommit[]): Promise<CommitResult> {
    return withSpan('votes.commit', () => this.store.commit(ballots), {
      kind: SpanKind.CLIENT,
      attributes: { 'db.system.name': 'postgresql', 'db.operation.name': 'insert ballots', 'db.operation.batch.size': ballots.length },
    });
  }
}

function seatsOf(result: CommitResult): Map<string, StoredBallot> {
  const seats = new Map<string, StoredBallot>();
  for (const stored of [...result.existing, ...result.inserted]) {
    seats.set(seat(stored.electionId, stored.voterId), stored);
  }
  return seats;
}

function unavailable(detail: string, retryAfter = 1, cause?: unknown): AppError {
  return new AppError('unavailable', { detail, retryAfter: Math.max(1, retryAfter), cause });
}
