import { createHash } from 'node:crypto';
import { AppError } from '@onevote/platform';
import type { Redis } from 'ioredis';
import {
  type IRateLimiterRes,
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { clientNetwork } from '../domain/client-network.ts';

export interface ThrottlePolicy {
  prefix: string;
  windowSeconds: number;
  lockoutSeconds: number;
  perAccount: number;
  perIp: number;
  perSubnet: number;
  registrationsPerIpPerHour: number;
  challengesPerIpPerMinute: number;
}

type Limiter = RateLimiterRedis;

/**
 * Credential-stuffing defences (OWASP): separate failure counters per account, per client address
 * and per network (/24, /64), shared by every replica through Redis. Past a counter's limit the key
 * is locked out for a while. If Redis is away, per-process counters stand in (insurance), so login
 * keeps working and is still limited.
 */
export class LoginThrottle {
  private readonly account: Limiter;
  private readonly ip: Limiter;
  private readonly subnet: Limiter;
  private readonly registrations: Limiter;
  private readonly challenges: Limiter;

  constructor(
    redis: Redis,
    private readonly policy: ThrottlePolicy,
  ) {
    const limiter = (name: string, points: number, duration: number, blockDuration: number) => {
      const options = { keyPrefix: `${policy.prefix}rl:${name}`, points, duration, blockDuration };
      return new RateLimiterRedis({
        ...options,
        storeClient: redis,
        insuranceLimiter: new RateLimiterMemory(options),
      });
    };
    const { windowSeconds: w, lockoutSeconds: l } = policy;
    this.account = limiter('login-account', policy.perAccount, w, l);
    this.ip = limiter('login-ip', policy.perIp, w, l);
    this.subnet = limiter('login-net', policy.perSubnet, w, l);
    this.registrations = limiter('register-ip', policy.registrationsPerIpPerHour, 3600, 0);
    this.challenges = limiter('challenge-ip', policy.challengesPerIpPerMinute, 60, 0);
  }

  /** Before checking a password: refuses with 429 while the account, address or network is locked. */
  async assertLoginAllowed(email: string, ip: string): Promise<void> {
    const checks: [Limiter, string, number][] = [
      [this.account, accountKey(email), this.policy.perAccount],
      [this.ip, ip, this.policy.perIp],
      [this.subnet, clientNetwork(ip), this.policy.perSubnet],
    ];
    const states = await Promise.all(checks.map(([limiter, key]) => limiter.get(key)));
    let waitMs = 0;
    states.forEach((state, i) => {
      if (state && state.consumedPoints > checks[i]![2]) waitMs = Math.max(waitMs, state.msBeforeNext);
    });
    if (waitMs > 0) throw rateLimited(waitMs, 'too many failed logins; try again later');
  }

  /**
   * Counts a failed login on every counter. Returns how many failures the account has in the
   * window; throws 429 if this failure crossed a limit.
   */
  async recordFailure(email: string, ip: string): Promise<number> {
    const results = await Promise.allSettled([
      this.account.consume(accountKey(email)),
      this.ip.consume(ip),
      this.subnet.consume(clientNetwork(ip)),
    ]);
    const refused = results
      .map((r) => (r.status === 'rejected' && r.reason instanceof RateLimiterRes ? r.reason : undefined))
      .filter((r): r is RateLimiterRes => r !== undefined);
    if (refused.length > 0) {
      throw rateLimited(
        Math.max(...refused.map((r) => r.msBeforeNext)),
        'too many failed logins; try again later',
      );
    }
    const first = results[0];
    return first.status === 'fulfilled' ? first.value.consumedPoints : 0;
  }

  /** OWASP: a successful login clears the account's failures (not the address's). */
  async recordSuccess(email: string): Promise<void> {
    await this.account.delete(accountKey(email));
  }

  async countRegistration(ip: string): Promise<void> {
    await consumeOr429(this.registrations, ip, 'too many registrations from this address');
  }

  async countChallenge(ip: string): Promise<void> {
    await consumeOr429(this.challenges, ip, 'too many challenges requested');
  }
}

/** Redis keys hold a hash of the email, never the email. */
function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url').slice(0, 32);
}

async function consumeOr429(limiter: Limiter, key: string, detail: string): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (err instanceof RateLimiterRes) throw rateLimited(err.msBeforeNext, detail);
    throw err;
  }
}

function rateLimited(msBeforeNext: IRateLimiterRes['msBeforeNext'], detail: string): AppError {
  return new AppError('rate_limited', {
    detail,
    retryAfter: Math.max(1, Math.ceil((msBeforeNext ?? 1000) / 1000)),
  });
}
