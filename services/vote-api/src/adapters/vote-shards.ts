import { shardCountOf, shardOf } from '@onevote/election-config';
import { AppError, type Logger } from '@onevote/platform';
import type { GroupCommitter } from '../group-commit/group-commit.ts';
import type { BallotStore } from './ballot-store.ts';
import type { ReviewRepository } from './review.repository.ts';

/** One vote shard group as vote-api uses it: its own pool, store, group-commit queue and breaker. */
export interface VoteShard {
  /** The shard group's number (its place in VOTE_SHARD_URLS). */
  index: number;
  store: BallotStore;
  committer: GroupCommitter;
  review: ReviewRepository;
}

/** What an election says about its shards (ElectionConfig: `shards`, its shard map version). */
export interface ShardedElection {
  id: string;
  shards?: number | undefined;
}

/**
 * The vote shard groups this process writes to, and the shard map (packages/election-config,
 * shard-map.ts): a voter's ballot of an election goes to `shardOf(voter, election's count)`.
 */
export class VoteShards {
  private readonly warned = new Set<string>();

  constructor(
    readonly all: readonly VoteShard[],
    private readonly logger: Logger,
  ) {
    if (all.length === 0) throw new Error('no vote shard group');
  }

  /** The group that holds, or is to hold, the voter's one ballot of the election (I2). */
  forVoter(election: ShardedElection, voterId: string): VoteShard {
    const count = this.known(election);
    return this.all[shardOf(voterId, count)]!;
  }

  /** Every group the election's ballots are on (groups 0 .. count-1), in order. */
  forElection(election: ShardedElection): VoteShard[] {
    return this.all.slice(0, this.known(election));
  }

  /**
   * The election's shard count, if this process has that many groups. An election created for more
   * groups than this process was given (VOTE_SHARD_URLS out of step between ballot and vote-api)
   * cannot be served: routing it over fewer groups would put a voter's ballot on the wrong group,
   * where the primary key cannot see a ballot on the right one. 503 until the config is fixed.
   */
  private known(election: ShardedElection): number {
    const count = shardCountOf(election);
    if (count <= this.all.length) return count;
    if (!this.warned.has(election.id)) {
      this.warned.add(election.id);
      this.logger.error(
        { electionId: election.id, shards: count, configured: this.all.length },
        'election spread over more vote shard groups than VOTE_SHARD_URLS names',
      );
    }
    throw new AppError('unavailable', { detail: 'the ballot store is unavailable', retryAfter: 60 });
  }
}
