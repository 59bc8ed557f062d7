import type { Results } from '@onevote/contracts';
import type { ElectionConfig } from '@onevote/election-config';
import type { Static } from '@sinclair/typebox';

export type ResultsDocument = Static<typeof Results>;

/** The tally as read from PostgreSQL: sums over slots, taken in one snapshot. */
export interface TallySums {
  /** Counted ballots of the election (voided ones no longer). */
  ballots: number;
  /**
   * Ballots ever counted plus ballots ever voided: grows with every commit and every void, so it
   * orders reads and versions results even when a void lowers `ballots` (fraud review, issue 17).
   */
  changes: number;
  /** Votes per option, keyed by `optionKey(questionId, optionId)`. */
  votes: Map<string, number>;
}

export const emptySums = (): TallySums => ({ ballots: 0, changes: 0, votes: new Map() });

export function optionKey(questionId: string, optionId: string): string {
  return `${questionId}/${optionId}`;
}

/**
 * A version that only grows and is the same on every replica for the same content, so an SSE
 * `Last-Event-ID` and an `ETag` stay meaningful when a client moves to another replica. Every commit
 * that changes a tally counts at least one ballot in the same transaction, and every void voids at
 * least one, so `TallySums.changes` orders tally states; the phase (open, closed, final) moves
 * forward only.
 */
export function resultsVersion(changes: number, status: ElectionConfig['status'], final: boolean): number {
  const phase = final ? 2 : status === 'closed' ? 1 : 0;
  return changes * 3 + phase;
}

/** Options come from the election config (labels, order); counts from the sums, 0 when absent. */
export function buildResults(
  config: ElectionConfig,
  sums: TallySums,
  meta: { asOf: string; final: boolean },
): ResultsDocument {
  return {
    electionId: config.id,
    status: config.status,
    totalBallots: sums.ballots,
    questions: config.questions.map((q) => ({
      questionId: q.id,
      options: q.options.map((o) => ({
        optionId: o.id,
        label: o.label,
        votes: sums.votes.get(optionKey(q.id, o.id)) ?? 0,
      })),
    })),
    asOf: meta.asOf,
    final: meta.final,
  };
}

/** `after_close` results are hidden from everyone but admins until the election is closed. */
export function resultsVisible(config: ElectionConfig, viewer: { admin: boolean }): boolean {
  return config.resultsVisibility === 'live' || config.status === 'closed' || viewer.admin;
}
