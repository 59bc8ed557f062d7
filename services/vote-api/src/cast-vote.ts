import { randomUUID } from 'node:crypto';
import type { AltchaChallenges, Authenticator, AuthRequest } from '@onevote/auth';
import type { ElectionConfig } from '@onevote/election-config';
import { AppError, type Logger } from '@onevote/platform';
import type { AttemptCounters, WindowCount } from './adapters/attempt-counters.ts';
import type { GroupCommitter } from './adapters/group-commit.ts';
import type { RateLimits } from './adapters/rate-limits.ts';
import { availability, ballotProblem, type Selection } from './domain/ballot.ts';
import { assessRisk, type RiskReason, type RiskThresholds } from './domain/risk.ts';
import type { VoteMetrics } from './vote-metrics.ts';

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
  rateLimits: RateLimits;
  riskThresholds: RiskThresholds;
  riskWindowSeconds: number;
  committer: GroupCommitter;
  metrics: VoteMetrics;
  logger: Logger;
}

export type CastVote = (input: CastVoteInput) => Promise<Receipt>;

/**
 * The vote path, cheapest checks first: election open and ballot valid (in-memory config) -> token
 * and DPoP proof -> rate limits -> risk rules -> Redis "already voted" hint -> group commit. The
 * counts behind the rate limits and risk rules and the hint come from Redis in one round trip. Throws
 * an AppError for every refusal; resolves only once the ballot (or the voter's earlier one with the
 * same Idempotency-Key) is durably committed (I1).
 */
export function createCastVote(deps: CastVoteDeps): CastVote {
  const { metrics } = deps;

  async function castVote(input: CastVoteInput): Promise<{ receipt: Receipt; outcome: string }> {
    const election = deps.elections.get(input.electionId);
    const state = availability(election, Date.now());
    if (state === 'not_found' || !election) throw new AppError('not_found', { detail: 'no such election' });
    if (state === 'not_open') throw new AppError('election_not_open');
    const problem = ballotProblem(election, input.selections);
    if (problem) throw new AppError('invalid_ballot', { detail: problem });

    // I6: no state change without a valid, sender-bound token.
    const principal = await deps.authenticator.authenticate(input.auth);
    const counts = await deps.counters.count({
      ip: input.clientIp,
      jkt: principal.jkt,
      voterId: principal.voterId,
      electionId: election.id,
    });
    await deps.rateLimits.check({ ip: input.clientIp, voter: principal.voterId, key: principal.jkt }, counts?.requests);

    // Without Redis the signals are unknown and their rules do not fire.
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
    const decision = assessRisk(
      {
        ...signals,
        tokenAgeSeconds: Date.now() / 1000 - principal.issuedAt,
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
          detail: `solve a challenge (GET /v1/auth/challenge) and send it as altcha: ${decision.reasons.join(', ')}`,
          extra: { reasons: decision.reasons },
        });
      }
      await deps.altcha.verify(input.altcha);
    }

    metrics.fastPath.inc({ result: counts ? (counts.hint ? 'hit' : 'miss') : 'error' });
    const hint = counts?.hint;
    if (hint) {
      if (hint.idempotencyKey === input.idempotencyKey) {
        return {
          receipt: { receiptId: hint.receiptId, status: 'counted', countedAt: hint.countedAt },
          outcome: 'replayed',
        };
      }
      throw alreadyVoted(hint.receiptId);
    }

    const { stored, counted } = await deps.committer.submit({
      electionId: election.id,
      voterId: principal.voterId,
      receiptId: randomUUID(), // 122 random bits: receipts cannot be guessed
      idempotencyKey: input.idempotencyKey,
      selections: input.selections,
    });
    const receipt: Receipt = {
      receiptId: stored.receiptId,
      status: 'counted',
      countedAt: stored.countedAt.toISOString(),
    };
    if (counted) return { receipt, outcome: 'counted' };
    if (stored.idempotencyKey === input.idempotencyKey) return { receipt, outcome: 'replayed' };
    throw alreadyVoted(stored.receiptId);
  }

  return async (input) => {
    try {
      const { receipt, outcome } = await castVote(input);
      metrics.ballots.inc({ outcome, reason: '' });
      return receipt;
    } catch (err) {
      const code = err instanceof AppError ? err.code : 'internal_error';
      const reasons = err instanceof AppError ? (err.extra?.reasons as string[] | undefined) : undefined;
      metrics.ballots.inc({ outcome: code, reason: reasons?.join(',') ?? '' });
      throw err;
    }
  };
}

function alreadyVoted(receiptId: string): AppError {
  return new AppError('already_voted', {
    detail: 'this voter has already voted in this election',
    extra: { receiptId },
  });
}
