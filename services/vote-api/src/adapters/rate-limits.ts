import { AppError } from '@onevote/platform';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  prefix: string;
  windowSeconds: number;
  perIp: number;
  perVoter: number;
  perKey: number;
}

/**
 * Request budgets per client IP, per voter and per DPoP key, shared by every replica through Redis.
 * While Redis is away each replica falls back to its own in-memory budget (insurance limiter):
 * losing Redis costs precision, never availability.
 */
export class RateLimits {
  private readonly limiters: { name: string; limiter: RateLimiterRedis }[];

  constructor(redis: Redis, options: RateLimitOptions) {
    const make = (name: string, points: number) => ({
      name,
      limiter: new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${options.prefix}rl:${name}`,
        points,
        duration: options.windowSeconds,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory({ points, duration: options.windowSeconds }),
      }),
    });
    this.limiters = [make('ip', options.perIp), make('voter', options.perVoter), make('key', options.perKey)];
  }

  /** Spends one request of each budget; throws `rate_limited` with Retry-After when one is spent. */
  async consume(subjects: { ip: string; voterId: string; jkt: string }): Promise<void> {
    const keys = [subjects.ip, subjects.voterId, subjects.jkt];
    const results = await Promise.allSettled(
      this.limiters.map(({ limiter }, i) => limiter.consume(keys[i]!)),
    );
    let retryMs = 0;
    let which = '';
    results.forEach((r, i) => {
      if (r.status === 'rejected' && r.reason instanceof RateLimiterRes && r.reason.msBeforeNext > retryMs) {
        retryMs = r.reason.msBeforeNext;
        which = this.limiters[i]!.name;
      }
    });
    if (which) {
      throw new AppError('rate_limited', {
        detail: `too many vote requests for this ${which === 'key' ? 'device key' : which}`,
        retryAfter: retryMs / 1000,
      });
    }
  }
}
