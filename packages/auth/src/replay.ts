import type { Redis } from 'ioredis';

/** Remembers single-use values (DPoP `jti`, ALTCHA solutions) across every replica. */
export interface ReplayStore {
  /** True the first time `key` is claimed within `ttlSeconds`, false on every later claim. */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
}

export class RedisReplayStore implements ReplayStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'replay:',
  ) {}

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    // SET NX EX is atomic on the Redis primary: exactly one caller sees "OK".
    const result = await this.redis.set(
      this.prefix + key,
      '1',
      'EX',
      Math.max(1, Math.ceil(ttlSeconds)),
      'NX',
    );
    return result === 'OK';
  }
}
