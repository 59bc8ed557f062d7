import type { Authenticator, AuthRequest } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import type { BallotStore } from '../adapters/ballot-store.ts';
import type { ShardedElection, VoteShards } from '../adapters/vote-shards.ts';
import type { Selection } from '../domain/ballot.ts';

export interface MyVote {
  receiptId: string;
  status: 'counted';
  selections: Selection[];
  countedAt: string;
  /** Present and true when an admin voided the ballot (fraud review). */
  voided?: true;
  voidReason?: string;
  voidedAt?: string;
}

/** The caller's own ballot; there is no way to name another voter (the voter id is the token's). */
export function createMyVote(deps: {
  authenticator: Pick<Authenticator, 'authenticate'>;
  shards: Pick<VoteShards, 'forVoter'>;
  /** The election's config, for its shard count; an unknown election is read on shard group 0. */
  elections: { get(id: string): ShardedElection | undefined };
}) {
  return async (input: { electionId: string; auth: AuthRequest }): Promise<MyVote> => {
    const principal = await deps.authenticator.authenticate(input.auth);
    // The group that holds the voter's ballot of this election (its breaker answers for it).
    const shard = deps.shards.forVoter(deps.elections.get(input.electionId) ?? { id: input.electionId }, principal.voterId);
    if (!shard.committer.storeAvailable) throw new AppError('unavailable', { retryAfter: 1 });
    let ballot: Awaited<ReturnType<BallotStore['mine']>>;
    try {
      ballot = await shard.store.mine(input.electionId, principal.voterId);
    } catch (err) {
      throw new AppError('unavailable', {
        detail: 'the ballot store is unavailable',
        retryAfter: 1,
        cause: err,
      });
    }
    if (!ballot) throw new AppError('not_found', { detail: 'no ballot of yours in this election' });
    return {
      receiptId: ballot.receiptId,
      status: 'counted',
      selections: ballot.selections,
      countedAt: ballot.countedAt.toISOString(),
      // Still the voter's one ballot (I2: no second one), but no longer in the tally.
      ...(ballot.voided
        ? { voided: true, voidReason: ballot.voided.reason, voidedAt: ballot.voided.at.toISOString() }
        : {}),
    };
  };
}
