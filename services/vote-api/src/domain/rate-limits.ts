import { AppError } from '@onevote/platform';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateLimitOptions {
  windowSeconds: number;
  perIp: number;
  perVoter: number;
  perKey: number;
}

/** A request count in a window that starts at the first request (fixed window per subject). */
export interface WindowCount {
  count: number;
  msLeft: number;
}

type Budget = 'ip' | 'voter' | 'key';
type Subjects = Record<Budget, string>;

/**
 * Request budgets per client IP, per voter and per DPoP key. The counts come from Redis, shared by
 * every replica (`AttemptCounters`); while Redis is away each replica falls back to its own
 * in-memory budget: losing Redis costs precision, never availability.
 */
export class RateLimits {
  private readonly limits: Record<Budget, number>;
  private readonly fallback: Record<Budget, RateLimiterMemory>;

  constructor(options: RateLimitOptions) {
    this.limits = { ip: options.perIp, voter: options.perVoter, key: options.perKey };
    const memory = (points: number) => new RateLimiterMemory({ points, duration: options.windowSeconds });
    this.fallback = { ip: memory(options.perIp), voter: memory(options.perVoter), key: memory(options.perKey) };
  }

  /**
   * Throws `rate_limited` with Retry-After when a budget is spent: judged on the shared counts, or,
   * without them, by spending from this replica's own budgets.
   */
  async check(subjects: Subjects, counts: Record<Budget, WindowCount> | undefined): Promise<void> {
    const spent = counts ? this.overShared(counts) : await this.overLocal(subjects);
    if (spent) {
      throw new AppError('rate_limited', {
        detail: `too many vote requests for this ${spent.budget === 'key' ? 'device key' : spent.budget}`,
        retryAfter: spent.msLeft / 1000,
      });
    }
  }

  private overShared(counts: Record<Budget, WindowCount>) {
    return mostRestrictive(
      (Object.keys(counts) as Budget[])
        .filter((budget) => counts[budget].count > this.limits[budget])
        .map((budget) => ({ budget, msLeft: counts[budget].msLeft })),
    );
  }

  private async overLocal(subjects: Subjects) {
    const budgets = Object.keys(subjects) as Budget[];
    const results = await Promise.allSettled(budgets.map((b) => this.fallback[b].consume(subjects[b])));
    return mostRestrictive(
      results.flatMap((r, i) =>
        r.status === 'rejected' && r.reason instanceof RateLimiterRes
          ? [{ budget: budgets[i]!, msLeft: r.reason.msBeforeNext }]
          : [],
      ),
    );
  }
}

/** Of the spent budgets, the one that frees up last decides Retry-After. */
function mostRestrictive(spent: { budget: Budget; msLeft: number }[]) {
  return spent.reduce<{ budget: Budget; msLeft: number } | undefined>(
    (worst, s) => (!worst || s.msLeft > worst.msLeft ? s : worst),
    undefined,
  );
}
