import { randomUUID } from 'node:crypto';
import { rollRedisKey, rollSentinel } from '@onevote/contracts';
import type { RedisClient } from '@onevote/platform';

/** Members per SADD while a set is built. */
const chunk = 5_000;
/** A copy left by a process that died while building it goes away by itself. */
const buildingTtlSeconds = 3600;

/**
 * The Redis copy of a voter roll that vote-api checks membership in (key and sentinels in
 * @onevote/contracts, roll.ts). Redis holds only what can be rebuilt: PostgreSQL has the roll, and
 * the set is rebuilt from it whenever it is missing or holds another version.
 */
export class RollSet {
  constructor(private readonly redis: RedisClient) {}

  /** Whether Redis holds exactly this version of the election's roll, complete. */
  async holds(electionId: string, version: number): Promise<boolean> {
    const [loaded, current] = (await this.redis.smismember(
      rollRedisKey(electionId),
      rollSentinel.loaded,
      rollSentinel.version(version),
    )) as number[];
    return loaded === 1 && current === 1;
  }

  /**
   * Builds the set in a copy and swaps it in with one RENAME: vote-api sees the old roll or the
   * new one, complete, never a half-built set.
   */
  async load(electionId: string, version: number, members: AsyncIterable<string[]>): Promise<void> {
    const building = rollRedisKey(electionId, randomUUID());
    try {
      succeeded(await this.redis.multi().sadd(building, rollSentinel.version(version)).expire(building, buildingTtlSeconds).exec());
      for await (const batch of members) {
        for (let i = 0; i < batch.length; i += chunk) await this.redis.sadd(building, ...batch.slice(i, i + chunk));
      }
      await this.redis.sadd(building, rollSentinel.loaded);
      succeeded(await this.redis.multi().rename(building, rollRedisKey(electionId)).persist(rollRedisKey(electionId)).exec());
    } catch (err) {
      await this.redis.del(building).catch(() => {});
      throw err;
    }
  }
}

/** A MULTI resolves with each command's error instead of throwing: the first one is thrown here. */
function succeeded(results: [Error | null, unknown][] | null): void {
  if (!results) throw new Error('the Redis transaction was aborted');
  for (const [err] of results) if (err) throw err;
}
