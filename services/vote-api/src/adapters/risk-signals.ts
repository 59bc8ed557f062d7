import type { Redis } from 'ioredis';
import { subnetOf } from '../domain/risk.ts';
import { within } from './deadline.ts';

export interface GatheredSignals {
  votersPerKey?: number | undefined;
  votersPerSubnet?: number | undefined;
  ipVelocity?: number | undefined;
}

/**
 * Counts what the risk rules look at, in one Redis pipeline: distinct voters per DPoP key and per
 * subnet (HyperLogLog: constant memory whatever the crowd) and requests per IP, in fixed windows.
 * Unknown when Redis does not answer in time.
 */
export class RiskSignalStore {
  constructor(
    private readonly redis: Redis,
    private readonly options: { prefix: string; windowSeconds: number; deadlineMs: number },
  ) {}

  async gather(input: { ip: string; jkt: string; voterId: string; now?: number }): Promise<GatheredSignals> {
    const window = this.options.windowSeconds;
    const bucket = Math.floor((input.now ?? Date.now()) / 1000 / window);
    const p = this.options.prefix;
    const keyVoters = `${p}risk:key:${input.jkt}:${bucket}`;
    const subnetVoters = `${p}risk:net:${subnetOf(input.ip)}:${bucket}`;
    const velocity = `${p}risk:vel:${input.ip}:${bucket}`;
    const ttl = window * 2;
    const results = await within(this.options.deadlineMs, () =>
      this.redis
        .pipeline()
        .pfadd(keyVoters, input.voterId)
        .pfcount(keyVoters)
        .expire(keyVoters, ttl)
        .pfadd(subnetVoters, input.voterId)
        .pfcount(subnetVoters)
        .expire(subnetVoters, ttl)
        .incr(velocity)
        .expire(velocity, ttl)
        .exec(),
    );
    if (!results) return {};
    const count = (i: number) => {
      const [err, value] = results[i] ?? [];
      return err || typeof value !== 'number' ? undefined : value;
    };
    return { votersPerKey: count(1), votersPerSubnet: count(4), ipVelocity: count(6) };
  }
}
