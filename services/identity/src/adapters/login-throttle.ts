import { createHash } from 'node:crypto';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { clientNetwork } from '../domain/client-network.ts';
import type { LoginFailures } from '../domain/challenge-policy.ts';
import { consumeOr429, countOf, type Limiter, limiter, rateLimited, uncapped } from './counters.ts';
import type { RedisClient } from '@onevote/platform';

export interface ThrottlePolicy {
  prefix: string;
  windowSeconds: number;
  lockoutSeconds: number;
  /** Hard backstops: failures from one address or network before it is locked out (429). */
  maxPerIp: number;
  maxPerSubnet: number;
  challengesPerIpPerMinute: number;
}

const lockedOut = 'too many failed logins from this network; try again later';

/**
 * Login failure counters (OWASP credential stuffing), shared by every replica through Redis: per
 * account and client network (/24, /64), per account, per address and per network. The counts set
 * the login challenge's level (domain/challenge-policy.ts). Only an address or a network is ever
 * locked out, past a high backstop; an account never is, so nobody can lock its owner out by
 * guessing from elsewhere.
 */
export class LoginThrottle {
  private readonly accountNetwork: Limiter;
  private readonly account: Limiter;
  private readonly ip: Limiter;
  private readonly subnet: Limiter;
  private readonly challenges: Limiter;

  constructor(
    redis: RedisClient,
    private readonly policy: ThrottlePolicy,
  ) {
    const { prefix, windowSeconds: duration, lockoutSeconds: blockDuration } = policy;
    this.accountNetwork = limiter(redis, { prefix, name: 'login-account-net', points: uncapped, duration });
    this.account = limiter(redis, { prefix, name: 'login-account', points: uncapped, duration });
    this.ip = limiter(redis, { prefix, name: 'login-ip', points: policy.maxPerIp, duration, blockDuration });
    this.subnet = limiter(redis, {
      prefix,
      name: 'login-net',
      points: policy.maxPerSubnet,
      duration,
      blockDuration,
    });
    this.challenges = limiter(redis, {
      prefix,
      name: 'challenge-ip',
      points: policy.challengesPerIpPerMinute,
      duration: 60,
    });
  }

  /** The failures from a client's address and network (for a login challenge asked without an email). */
  async networkFailures(ip: string): Promise<LoginFailures> {
    const [fromIp, fromSubnet] = await Promise.all([countOf(this.ip, ip), countOf(this.subnet, clientNetwork(ip))]);
    return { ip: fromIp, subnet: fromSubnet };
  }

  /**
   * Before checking a password: refuses with 429 while the address or network is locked out, else
   * answers every count the login challenge level depends on.
   */
  async loginFailures(email: string, ip: string): Promise<LoginFailures> {
    const network = clientNetwork(ip);
    const account = accountKey(email);
    const [ipState, subnetState, accountNetwork, accountTotal] = await Promise.all([
      this.ip.get(ip),
      this.subnet.get(network),
      countOf(this.accountNetwork, `${account}:${network}`),
      countOf(this.account, account),
    ]);
    let waitMs = 0;
    for (const [state, max] of [
      [ipState, this.policy.maxPerIp],
      [subnetState, this.policy.maxPerSubnet],
    ] as const) {
      if (state && state.consumedPoints > max) waitMs = Math.max(waitMs, state.msBeforeNext);
    }
    if (waitMs > 0) throw rateLimited(waitMs, lockedOut);
    return {
      accountNetwork,
      account: accountTotal,
      ip: ipState?.consumedPoints ?? 0,
      subnet: subnetState?.consumedPoints ?? 0,
    };
  }

  /**
   * Counts a failed login on every counter. Returns the failures of this account from this network
   * in the window; throws 429 if this failure crossed an address or network backstop.
   */
  async recordFailure(email: string, ip: string): Promise<number> {
    const network = clientNetwork(ip);
    const account = accountKey(email);
    const [pair, , ...addresses] = await Promise.allSettled([
      this.accountNetwork.consume(`${account}:${network}`),
      this.account.consume(account),
      this.ip.consume(ip),
      this.subnet.consume(network),
    ]);
    const refused = addresses
      .map((r) => (r.status === 'rejected' && r.reason instanceof RateLimiterRes ? r.reason : undefined))
      .filter((r): r is RateLimiterRes => r !== undefined);
    if (refused.length > 0) throw rateLimited(Math.max(...refused.map((r) => r.msBeforeNext)), lockedOut);
    return pair.status === 'fulfilled' ? pair.value.consumedPoints : 0;
  }

  /**
   * OWASP: a successful login clears the account's failures from this network. The account-wide
   * count and the address's stay: a guesser elsewhere keeps paying.
   */
  async recordSuccess(email: string, ip: string): Promise<void> {
    await this.accountNetwork.delete(`${accountKey(email)}:${clientNetwork(ip)}`);
  }

  async countChallenge(ip: string): Promise<void> {
    await consumeOr429(this.challenges, ip, 'too many challenges requested');
  }
}

/** Redis keys hold a hash of the email, never the email. */
function accountKey(email: string): string {
  return createHash('sha256').update(email).digest('base64url').slice(0, 32);
}
