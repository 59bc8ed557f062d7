import { randomUUID } from 'node:crypto';
import type { AltchaChallenges, Authenticator, AuthRequest } from '@onevote/auth';
import type { ElectionConfig } from '@onevote/election-config';
import { AppError, type Logger } from '@onevote/platform';
import type { GroupCommitter } from './adapters/group-commit.ts';
import type { RateLimits } from './adapters/rate-limits.ts';
import type { RiskSignalStore } from './adapters/risk-signals.ts';
import type { VotedHints } from './adapters/voted-hints.ts';
import { availability, ballotProblem, type Selection } from './domain/ballot.ts';
import { assessRisk, type RiskThresholds } from './domain/risk.ts';
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
  rateLimits: RateLimits;
  riskSignals: RiskSignalStore;
  riskThresholds: RiskThresholds;
  riskWindowSeconds: number;
  hints: VotedHints;
  committer: GroupCommitter;
  metrics: VoteMetrics;
  logger: Logger;
}

export type CastVote = (input: CastVoteInput) => Promise<Receipt>;

/**
 * The vote path, cheapest checks first: election open and ballot valid (in-memory config) -> token
 * and DPoP proof -> rate limits -> risk rules -> Redis "already voted" hint -> group commit. Throws
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
    await deps.rateLimits.consume({ ip: input.clientIp, voterId: principal.voterId, jkt: principal.jkt });

    const signals = await deps.riskSignals.gather({
      ip: input.clientIp,
      jkt: principal.jkt,
      voterId: principal.voterId,
    });
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
      const window = deps.riskWindowSeconds;
      throw new AppError('rate_limited', {
        detail: `refused by risk rules: ${decision.reasons.join(', ')}`,
        retryAfter: window - ((Date.now() / 1000) % window),
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

    const hint = await deps.hints.get(election.id, principal.voterId);
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
