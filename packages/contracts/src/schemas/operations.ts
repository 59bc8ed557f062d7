import { Type } from '@sinclair/typebox';
import { Id, Timestamp } from './common.ts';

/**
 * What a vote request ended as, in the operations view: vote-api's outcome codes
 * (`vote_ballots_total{outcome,reason}`) folded into the categories an operator acts on.
 */
export const operationsOutcomes = [
  'counted',
  'replayed',
  'already_voted',
  'rate_limited',
  'challenged',
  'denied',
  'invalid',
  'not_eligible',
  'not_open',
  'unavailable',
  'other',
] as const;
export type OperationsOutcome = (typeof operationsOutcomes)[number];

const perOutcome = (description: string) =>
  Type.Object(
    Object.fromEntries(operationsOutcomes.map((o) => [o, Type.Number({ minimum: 0 })])) as Record<
      OperationsOutcome,
      ReturnType<typeof Type.Number>
    >,
    { additionalProperties: false, description },
  );

const Seconds = (description: string) => Type.Union([Type.Number({ minimum: 0 }), Type.Null()], { description });

export const OperationsSnapshot = Type.Object(
  {
    /** null for the overall view. */
    electionId: Type.Union([Id, Type.Null()], { description: 'The election, or null for every election' }),
    at: Timestamp,
    intervalSeconds: Type.Number({
      minimum: 0,
      description: 'Seconds between the two scrapes the rates are computed from (about 1)',
    }),
    ballotsPerSecond: Type.Number({ minimum: 0, description: 'Ballots counted per second' }),
    requestsPerSecond: Type.Number({ minimum: 0, description: 'Vote requests per second, every outcome' }),
    outcomesPerSecond: perOutcome('Vote requests per second by outcome'),
    outcomeTotals: perOutcome(
      "Vote requests by outcome since the vote-api processes started (their counters'; a restart starts again at 0)",
    ),
    latencyP99Seconds: Seconds('99th percentile of the vote call (POST /v1/elections/:id/votes) over the last 10 s; null when idle'),
    commitQueueDepth: Type.Number({ minimum: 0, description: 'Ballots waiting for a group commit, now' }),
    commitBatchSize: Seconds('Mean ballots per group commit over the last 10 s; null when none'),
    sseViewers: Type.Number({ minimum: 0, description: 'Open result streams (SSE), of this election in a per-election view' }),
    wsViewers: Type.Number({ minimum: 0, description: 'Open result WebSockets, of this election in a per-election view' }),
    frameLagP99Seconds: Seconds('99th percentile from a commit to the first result frame that includes it, last 10 s'),
    relayLagP99Seconds: Seconds("99th percentile from a transaction's commit to JetStream's acknowledgement, last 10 s"),
    auditLagP99Seconds: Seconds('99th percentile from publication to the first signed head that includes it, last 10 s'),
    sources: Type.Array(
      Type.Object(
        {
          service: Type.String(),
          up: Type.Boolean({ description: 'Its metrics were read at this tick' }),
        },
        { additionalProperties: false },
      ),
      { description: 'The services the figures are read from; a figure of a service that is down is left at 0 or null' },
    ),
    elections: Type.Optional(
      Type.Array(
        Type.Object(
          {
            electionId: Id,
            ballotsPerSecond: Type.Number({ minimum: 0 }),
            requestsPerSecond: Type.Number({ minimum: 0 }),
          },
          { additionalProperties: false },
        ),
        { description: 'Overall view only: the elections with vote traffic, busiest first' },
      ),
    ),
  },
  { additionalProperties: false, description: 'One second of live operations, from the services’ own metrics' },
);

/**
 * The category of a vote request's outcome: vote-api's outcome (counted, replayed, already_voted, or
 * the problem code) and reason (the risk rules behind a refusal, comma-separated; empty otherwise).
 */
export function operationsOutcomeOf(outcome: string, reason: string): OperationsOutcome {
  switch (outcome) {
    case 'counted':
    case 'replayed':
    case 'already_voted':
      return outcome;
    case 'rate_limited':
      // A refusal by the risk rules carries their reasons; the plain rate limits do not.
      return reason ? 'denied' : 'rate_limited';
    case 'challenge_required':
    case 'challenge_failed':
      return 'challenged';
    case 'invalid_ballot':
    case 'invalid_request':
    case 'invalid_token':
    case 'invalid_dpop_proof':
      return 'invalid';
    case 'not_eligible':
    case 'email_not_verified':
      return 'not_eligible';
    case 'election_not_open':
      return 'not_open';
    case 'unavailable':
      return 'unavailable';
    default:
      return 'other';
  }
}
