// Test data: an election's log as the audit service would build it (events, ballots, voids).
import { aBallotLeaf, anEventLeaf, aVoidLeaf } from './leaves.ts';
import type { Question } from './log-server.ts';

export const questions: Question[] = [
  { questionId: 'q1', optionIds: ['o1', 'o2', 'o3'] },
  { questionId: 'q2', optionIds: ['yes', 'no'] },
];

export function receiptOf(ballot: number): string {
  return `rc_${ballot.toString().padStart(6, '0')}`;
}

/** The leaves of an election: `created`, `opened`, `ballots` ballots (receipts rc_000000…), then voids of `voided`. */
export function anElectionLog(options: { electionId?: string; ballots: number; voided?: number[] }) {
  const electionId = options.electionId ?? 'el_audit';
  const leaves = [anEventLeaf({ electionId, event: 'created' }), anEventLeaf({ electionId, event: 'opened' })];
  for (let i = 0; i < options.ballots; i++) {
    const selections = [{ questionId: 'q1', optionIds: [questions[0]!.optionIds[(i * 7) % 3]!] }];
    if (i % 4 === 0) selections.push({ questionId: 'q2', optionIds: [i % 8 === 0 ? 'yes' : 'no'] });
    leaves.push(aBallotLeaf({ electionId, receiptId: receiptOf(i), selections }));
  }
  for (const ballot of options.voided ?? []) leaves.push(aVoidLeaf({ electionId, receiptId: receiptOf(ballot), reason: 'fraud review' }));
  return { electionId, questions, leaves };
}
