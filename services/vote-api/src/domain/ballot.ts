import type { ElectionConfig } from '@onevote/election-config';

export interface Selection {
  questionId: string;
  optionIds: string[];
}

export type ElectionAvailability = 'open' | 'not_found' | 'not_open';

const openingSkewMs = 5000;

/** Whether an election takes ballots now: status `open` and, when scheduled, inside its window. */
export function availability(election: ElectionConfig | undefined, now: number): ElectionAvailability {
  if (!election) return 'not_found';
  if (election.status !== 'open') return 'not_open';
  // The ballot service flips the status at the scheduled times; the close is checked here too so a
  // late config update cannot let a ballot in after closing time. An open election's opensAt is in
  // the past by construction (opening pins it to the moment it opened); the tolerance only absorbs
  // clock skew between this host and the database that stamped it.
  if (election.opensAt && Date.parse(election.opensAt) > now + openingSkewMs) return 'not_open';
  if (election.closesAt && Date.parse(election.closesAt) <= now) return 'not_open';
  return 'open';
}

/**
 * Checks a ballot against its election: one entry per question, known options only, no option
 * twice, and between min and max selections. Returns why it is invalid, or undefined when valid.
 */
export function ballotProblem(
  election: ElectionConfig,
  selections: readonly Selection[],
): string | undefined {
  const questions = new Map(election.questions.map((q) => [q.id, q]));
  const answered = new Set<string>();
  for (const selection of selections) {
    const question = questions.get(selection.questionId);
    if (!question) return `unknown question ${selection.questionId}`;
    if (answered.has(question.id)) return `question ${question.id} is answered twice`;
    answered.add(question.id);
    const chosen = new Set<string>();
    for (const optionId of selection.optionIds) {
      if (!question.options.some((o) => o.id === optionId)) {
        return `unknown option ${optionId} for question ${question.id}`;
      }
      if (chosen.has(optionId)) return `option ${optionId} is selected twice`;
      chosen.add(optionId);
    }
    if (chosen.size < question.minSelections) {
      return `question ${question.id} needs at least ${question.minSelections} selection(s)`;
    }
    if (chosen.size > question.maxSelections) {
      return `question ${question.id} allows at most ${question.maxSelections} selection(s)`;
    }
  }
  const missing = election.questions.find((q) => !answered.has(q.id));
  if (missing) return `question ${missing.id} is not answered`;
  return undefined;
}
