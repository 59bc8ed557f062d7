import { rollRedisKey, rollSentinel } from '@onevote/contracts';
import { AppError, type RedisClient } from '@onevote/platform';
import { within } from './deadline.ts';

/**
 * Voter-roll membership, from the Redis set the ballot service builds from its roll (key and
 * sentinels in @onevote/contracts, roll.ts): one SMISMEMBER, only for `roll` elections. A set that
 * is not there (Redis flushed; ballot puts it back within seconds) or a Redis that does not answer
 * is a 503: the roll is unknown, so no voter is refused as "not eligible" for it, and none admitted.
 */
export class RollMembership {
  constructor(
    private readonly redis: RedisClient,
    private readonly deadlineMs: number,
  ) {}

  async includes(electionId: string, emailHash: string): Promise<boolean> {
    const reply = await within(this.deadlineMs, () =>
      this.redis.smismember(rollRedisKey(electionId), rollSentinel.loaded, emailHash),
    );
    if (!reply) throw new AppError('unavailable', { detail: 'the voter roll cannot be read right now', retryAfter: 1 });
    const [loaded, member] = reply as number[];
    if (loaded !== 1) throw new AppError('unavailable', { detail: 'the voter roll is being loaded', retryAfter: 1 });
    return member === 1;
  }
}
