import { AppError, type RedisClient, withDeadline } from '@onevote/platform';

/** Remembers single-use values (DPoP `jti`, ALTCHA solutions) across every replica. */
export interface ReplayStore {
  /**
   * True the first time `key` is claimed within `ttlSeconds`, false on every later claim. Throws
   * `unavailable` when the store cannot answer: replay protection fails closed.
   */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}

export interface RedisReplayStoreOptions {
  /** Longest wait for Redis; past it the claim is `unavailable` (503), never a guess. */
  deadlineMs?: number;
}

export class RedisReplayStore implements ReplayStore {
  private readonly deadlineMs: number;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = 'replay:',
    options: RedisReplayStoreOptions = {},
  ) {
    this.deadlineMs = options.deadlineMs ?? 1000;
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    try {
      // SET NX EX is atomic on the Redis primary: exactly one caller sees "OK".
      const result = await withDeadline(this.deadlineMs, () =>
        this.redis.set(this.prefix + key, '1', 'EX', Math.max(1, Math.ceil(ttlSeconds)), 'NX'),
      );
      return result === 'OK';
    } catch (err) {
      // Without the store a replayed proof could not be told from a fresh one: refuse, retryably.
      throw new AppError('unavailable', {
        detail: 'replay protection is unavailable; retry shortly',
        retryAfter: 1,
        cause: err,
      });
    }
  }
}
