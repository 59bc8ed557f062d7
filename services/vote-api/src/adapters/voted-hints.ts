import type { Redis } from 'ioredis';
import type { VoteMetrics } from '../vote-metrics.ts';
import type { StoredBallot } from './ballot-store.ts';
import { within } from './deadline.ts';

export interface VotedHint {
  receiptId: string;
  idempotencyKey: string;
  countedAt: string;
}

/**
 * The Redis "already voted" fast path. Only a hint: written after a commit, it lets a repeated
 * attempt be answered without PostgreSQL; a miss (or a flushed Redis) just means the group commit
 * decides, and its primary key stays the rule (I2). It carries the counted receipt and its
 * Idempotency-Key, so a hit can answer either the original 201 or the 409 with the right receipt.
 */
export class VotedHints {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; ttlSeconds: number; deadlineMs: number },
    private readonly metrics: VoteMetrics,
  ) {}

  private key(electionId: string, voterId: string) {
    return `${this.options.prefix}voted:${electionId}:${voterId}`;
  }

  async get(electionId: string, voterId: string): Promise<VotedHint | undefined> {
    const value = await within(this.options.deadlineMs, () => this.redis.get(this.key(electionId, voterId)));
    if (value === undefined) {
      this.metrics.fastPath.inc({ result: 'error' });
      return undefined;
    }
    // Idempotency keys never contain spaces (their schema), so the fields split unambiguously.
    const [receiptId, countedAt, idempotencyKey] = value?.split(' ') ?? [];
    if (!receiptId || !countedAt || !idempotencyKey) {
      this.metrics.fastPath.inc({ result: 'miss' });
      return undefined;
    }
    this.metrics.fastPath.inc({ result: 'hit' });
    return { receiptId, countedAt, idempotencyKey };
  }

  /** Fire and forget: a lost write only costs a later database round trip. */
  record(ballots: Iterable<StoredBallot>) {
    const pipeline = this.redis.pipeline();
    let n = 0;
    for (const b of ballots) {
      pipeline.set(
        this.key(b.electionId, b.voterId),
        `${b.receiptId} ${b.countedAt.toISOString()} ${b.idempotencyKey}`,
        'EX',
        this.options.ttlSeconds,
      );
      n++;
    }
    if (n > 0) pipeline.exec().catch(() => {});
  }
}
