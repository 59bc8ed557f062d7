import type { RedisClient } from '@onevote/platform';
import type { StoredBallot } from './ballot-store.ts';

export interface VotedHint {
  receiptId: string;
  idempotencyKey: string;
  countedAt: string;
}

/**
 * The hint's key. The voter is the key's hash tag, so it shares a cluster slot with the voter's
 * request counter and both are read in one script call (`AttemptCounters`).
 */
export function votedHintKey(prefix: string, electionId: string, voterId: string): string {
  return `${prefix}voted:${electionId}:{${voterId}}`;
}

/** A hint as stored, or undefined for a missing or unreadable one. */
export function parseHint(value: string | null | undefined): VotedHint | undefined {
  // Idempotency keys never contain spaces (their schema), so the fields split unambiguously.
  const [receiptId, countedAt, idempotencyKey] = value?.split(' ') ?? [];
  return receiptId && countedAt && idempotencyKey ? { receiptId, countedAt, idempotencyKey } : undefined;
}

/**
 * The Redis "already voted" fast path. Only a hint: written after a commit, it lets a repeated
 * attempt be answered without PostgreSQL (it is read with the attempt's counters); a miss (or a
 * flushed Redis) just means the group commit decides, and its primary key stays the rule (I2). It
 * carries the counted receipt and its Idempotency-Key, so a hit can answer either the original 201
 * or the 409 with the right receipt.
 */
export class VotedHints {
  constructor(
    private readonly redis: RedisClient,
    private readonly options: { prefix: string; ttlSeconds: number },
  ) {}

  /**
   * Fire and forget: a lost write only costs a later database round trip. One command per key (each
   * in its voter's slot); ioredis's auto-pipelining sends a batch's commands in one write.
   */
  record(ballots: Iterable<StoredBallot>) {
    for (const b of ballots) {
      this.redis
        .set(
          votedHintKey(this.options.prefix, b.electionId, b.voterId),
          `${b.receiptId} ${b.countedAt.toISOString()} ${b.idempotencyKey}`,
          'EX',
          this.options.ttlSeconds,
        )
        .catch(() => {});
    }
  }
}
