import { randomUUID } from 'node:crypto';
import type { AltchaChallenges, Authenticator, AuthRequest, Principal } from '@onevote/auth';
import type { ElectionConfig } from '@onevote/election-config';
import { AppError, type Logger, withSpan } from '@onevote/platform';
import type { AttemptCounters } from '../adapters/attempt-counters.ts';
import type { RollMembership } from '../adapters/roll-membership.ts';
import type { VoteShard, VoteShards } from '../adapters/vote-shards.ts';
import type { RateLimits, WindowCount } from '../domain/rate-limits.ts';
import { availability, ballotProblem, type Selection } from '../domain/ballot.ts';
import { eligibilityRefusal } from '../domain/eligibility.ts';
import { assessRisk, type RiskReason, type RiskThresholds, subnetOf } from '../domain/risk.ts';
import type { VoteMetrics } from '../metrics.ts';

export interface CastVoteInput {
  electionId: string;
  selections: Selection[];
  altcha?: string | undefined;
  idempotencyKey: string;
  clientIp: string;
  /** The HTTP request, for the token and DPoP proof checks. */
  auth: AuthRequest;
}

export interface Receipt {
  receiptId: string;
  status: 'counted';
  countedAt: string;
}

export interface CastVoteDeps {
  elections: { get(id: string): ElectionConfig | undefined };
  authenticator: Pick<Authenticator, 'authenticate'>;
  altcha: Pick<AltchaChallenges, 'verify'>;
  counters: AttemptCounters;
  /** Looked up only in `roll` elections. */
  roll: Pick<RollMembership, 'includes'>;
  rateLimits: RateLimits;
  riskThresholds: RiskThresholds;
  riskWindowSeconds: number;
  /**
   * The vote shard groups: the voter's group commits the ballot (its own queue and breaker) and
   * confirms an "already voted" hint by primary key before a voter is refused.
   */
  shards: Pick<VoteShards, 'forVoter'>;
  metrics: VoteMetrics;
  logger: Logger;
}

export type CastVote = (input: CastVoteInput) => Promise<Receipt>;

/**
 * The vote path, cheapest checks first: election open and ballot valid (in-memory config) -> token
 * and DPoP proof -> eligibility (token claims and config; a roll election also asks Redis whether
 * the token's address hash is on the roll) -> rate limits -> risk rules -> Redis
 * "already voted" hint -> group commit. The
 * counts behind the rate limits and risk rules and the hint come from Redis in one round trip. Throws
 * an AppError for every refusal; resolves only once the ballot (or the voter's earlier one with the
 * same Idempotency-Key) is durably committed (I1).
 */
export function createCastVote(deps: CastVoteDeps): CastVote {
  const { metrics } = deps;

  /**
   * Rate limits, risk rules and (when they ask for one) the challenge; returns the counts read and
   * the decision, which fraud review keeps with the ballot.
   */
  async function screen(election: ElectionConfig, principal: Principal, input: CastVoteInput) {
    const counts = await deps.counters.count({
      ip: input.clientIp,
      jkt: principal.jkt,
      voterId: principal.voterId,
      electionId: election.id,
    });
    await deps.rateLimits.check({ ip: input.clientIp, voter: principal.voterId, key: principal.jkt }, counts?.requests);

    // Without Redis the signals are unknown: their rules cannot fire, and `signals_unknown` challenges.
    const windows: Partial<Record<RiskReason, WindowCount>> = {
      voters_per_key: counts?.votersPerKey,
      voters_per_subnet: counts?.votersPerSubnet,
      ip_velocity: counts?.ipVelocity,
    };
    const signals = {
      votersPerKey: windows.voters_per_key?.count,
      votersPerSubnet: windows.voters_per_subnet?.count,
      ipVelocity: windows.ip_velocity?.count,
    };
    const tokenAgeSeconds = Date.now() / 1000 - principal.issuedAt;
    const decision = assessRisk(
      {
        ...signals,
        tokenAgeSeconds,
        requireChallenge: election.requireChallenge,
      },
      deps.riskThresholds,
    );
    if (decision.outcome !== 'allow') {
      for (const reason of decision.reasons) metrics.risk.inc({ outcome: decision.outcome, reason });
      deps.logger.info(
        { risk: decision.outcome, reasons: decision.reasons, electionId: election.id, ...signals },
        'risk rule triggered',
      );
    }
    if (decision.outcome === 'deny') {
      // Until the last window behind the refusal ends.
      const msLeft = Math.max(...decision.reasons.map((r) => windows[r]?.msLeft ?? deps.riskWindowSeconds * 1000));
      throw new AppError('rate_limited', {
        detail: `refused by risk rules: ${decision.reasons.join(', ')}`,
        retryAfter: msLeft / 1000,
        extra: { reasons: decision.reasons },
      });
    }
    if (decision.outcome === 'challenge') {
      if (!input.altcha) {
        throw new AppError('challenge_required', {
          detail: `solve a challenge (GET /v1/auth/challenge?purpose=vote&level=${decision.level}) and send it as altcha: ${decision.reasons.join(', ')}`,
          extra: { reasons: decision.reasons, challengeLevel: decision.level },
        });
      }
      await deps.altcha.verify(input.altcha, { purpose: 'vote', minLevel: decision.level });
    }

    return { counts, decision, tokenAgeSeconds };
  }

  async function castVote(input: CastVoteInput): Promise<{ receipt: Receipt; outcome: string }> {
    const election = deps.elections.get(input.electionId);
    const state = availability(election, Date.now());
    if (state === 'not_found' || !election) throw new AppError('not_found', { detail: 'no such election' });
    if (state === 'not_open') throw new AppError('election_not_open');
    const problem = ballotProblem(election, input.selections);
    if (problem) throw new AppError('invalid_ballot', { detail: problem });

    // I6: no state change without a valid, sender-bound token.
    const principal = await withSpan('vote.authenticate', () => deps.authenticator.authenticate(input.auth));
    // Before any counter, hint or row: a refused voter leaves nothing behind. An open election pays
    // one comparison; a roll election one Redis round trip more.
    if (election.eligibility !== 'open') {
      await withSpan('vote.eligibility', async () => {
        const refusal = eligibilityRefusal(election.eligibility, principal);
        if (refusal === 'roll') {
          if (!(await deps.roll.includes(election.id, principal.emailHash!))) throw eligibilityProblem('not_eligible');
        } else if (refusal) throw eligibilityProblem(refusal);
      }, { attributes: { 'onevote.eligibility': election.eligibility } });
    }
    // Counters, rate limits, risk rules and the challenge: one span.
    const { counts, decision, tokenAgeSeconds } = await withSpan('vote.risk', () => screen(election, principal, input));
    // The voter's shard group holds their one seat in this election (I2); its breaker answers for it.
    const shard = deps.shards.forVoter(election, principal.voterId);

    if (!counts?.hint) metrics.fastPath.inc({ result: counts ? 'miss' : 'error' });
    else {
      // The hint only says where to look: a primary-key read answers a repeat without queueing it
      // for a commit, and a stale hint (a restored database, a voided ballot, a deleted account)
      // never refuses a voter who has not voted (I2 lives in PostgreSQL, not in Redis).
      const seat = await confirmSeat(shard, election.id, principal.voterId);
      metrics.fastPath.inc({ result: seat ? 'hit' : 'stale' });
      if (seat) {
        const receipt: Receipt = { receiptId: seat.receiptId, status: 'counted', countedAt: seat.countedAt.toISOString() };
        if (seat.idempotencyKey === input.idempotencyKey) return { receipt, outcome: 'replayed' };
        throw alreadyVoted(seat.receiptId);
      }
    }

    // The ballot's span for the wait in the group commit; the batch's span links to it.
    const { stored, counted } = await withSpan('vote.enqueue', () =>
      shard.committer.submit({
        electionId: election.id,
        voterId: principal.voterId,
        receiptId: randomUUID(), // 122 random bits: receipts cannot be guessed
        idempotencyKey: input.idempotencyKey,
        selections: input.selections,
        // Kept with the ballot for fraud review; a ballot reaching here was allowed or solved its challenge.
        signals: {
          subnet: subnetOf(input.clientIp),
          jkt: principal.jkt,
          tokenAgeSeconds,
          risk: decision.outcome === 'challenge' ? 'challenge' : 'allow',
          reasons: decision.reasons,
        },
      }),
    );
    const receipt: Receipt = {
      receiptId: stored.receiptId,
      status: 'counted',
      countedAt: stored.countedAt.toISOString(),
    };
    if (counted) return { receipt, outcome: 'counted' };
    if (stored.idempotencyKey === input.idempotencyKey) return { receipt, outcome: 'replayed' };
    throw alreadyVoted(stored.receiptId);
  }

  /** Counted overall, and per election for elections that exist (a random id gets no series). */
  const count = (electionId: string, outcome: string, reason: string) => {
    metrics.ballots.inc({ outcome, reason });
    if (deps.elections.get(electionId)) metrics.electionBallots.inc(electionId, outcome, reason);
  };

  return async (input) => {
    try {
      const { receipt, outcome } = await castVote(input);
      count(input.electionId, outcome, '');
      return receipt;
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'internal_error';
      const reasons = err instanceof AppError ? (err.extra?.reasons as string[] | undefined) : undefined;
      count(input.electionId, code, reasons?.join(',') ?? '');
      throw err;
    }
  };
}

async function confirmSeat(shard: Pick<VoteShard, 'store' | 'committer'>, electionId: string, voterId: string) {
  // A group whose breaker is open answers its voters at once, not after a connect timeout.
  if (!shard.committer.storeAvailable) {
    throw new AppError('unavailable', { detail: 'the ballot store is unavailable', retryAfter: 1 });
  }
  try {
    const [seat] = await shard.store.find([{ electionId, voterId }]);
    return seat;
  } catch (err) {
    throw new AppError('unavailable', { detail: 'the ballot store is unavailable', retryAfter: 1, cause: err });
  }
}

function eligibilityProblem(code: 'email_not_verified' | 'not_eligible'): AppError {
  return code === 'email_not_verified'
    ? new AppError(code, { detail: 'this election admits only voters whose email address is verified' })
    : new AppError(code, { detail: 'this election admits only the voters on its voter roll' });
}

function alreadyVoted(receiptId: string): AppError {
  return new AppError('already_voted', {
    detail: 'this voter has already voted in this election',
    extra: { receiptId },
  });
}
