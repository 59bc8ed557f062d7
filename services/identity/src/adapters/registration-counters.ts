import { clientNetwork } from '../domain/client-network.ts';
import type { RegistrationVolume } from '../domain/challenge-policy.ts';
import { consumeOr429, type Limiter, limiter, rateLimited } from './counters.ts';
import type { RedisClient } from '@onevote/platform';

export interface RegistrationCaps {
  prefix: string;
  windowSeconds: number;
  /** Hard backstops: registrations from one address or network in the window, then 429. */
  maxPerIp: number;
  maxPerSubnet: number;
}

const capped = 'too many registrations from this network; try again later';

/**
 * Registrations per client address and per network (/24, /64) in a window, shared by every replica
 * through Redis. The counts raise the registration challenge's level; the caps are only a backstop.
 */
export class RegistrationCounters {
  private readonly ip: Limiter;
  private readonly subnet: Limiter;

  constructor(
    redis: RedisClient,
    private readonly caps: RegistrationCaps,
  ) {
    const { prefix, windowSeconds: duration } = caps;
    this.ip = limiter(redis, { prefix, name: 'register-ip', points: caps.maxPerIp, duration });
    this.subnet = limiter(redis, { prefix, name: 'register-net', points: caps.maxPerSubnet, duration });
  }

  /** The registrations counted so far; with `refuseWhenFull`, 429 once a backstop is reached. */
  async volume(ip: string, options: { refuseWhenFull: boolean }): Promise<RegistrationVolume> {
    const [fromIp, fromSubnet] = await Promise.all([this.ip.get(ip), this.subnet.get(clientNetwork(ip))]);
    let waitMs = 0;
    for (const [state, max] of [
      [fromIp, this.caps.maxPerIp],
      [fromSubnet, this.caps.maxPerSubnet],
    ] as const) {
      if (state && state.consumedPoints >= max) waitMs = Math.max(waitMs, state.msBeforeNext);
    }
    if (waitMs > 0 && options.refuseWhenFull) throw rateLimited(waitMs, capped);
    return { ip: fromIp?.consumedPoints ?? 0, subnet: fromSubnet?.consumedPoints ?? 0 };
  }

  /** Counts one registration that passed its challenge; 429 if it is past a backstop. */
  async count(ip: string): Promise<void> {
    await Promise.all([consumeOr429(this.ip, ip, capped), consumeOr429(this.subnet, clientNetwork(ip), capped)]);
  }
}
