import type { LogTallySummary } from './tally.ts';

/** `GET /v1/elections/:id/results`. */
export interface ElectionResults {
  electionId: string;
  status: string;
  totalBallots: number;
  questions: { questionId: string; options: { optionId: string; label?: string; votes: number }[] }[];
  asOf?: string;
  final?: boolean;
}

export interface TallyDifference {
  /** undefined for the total */
  questionId?: string;
  optionId?: string;
  log: number;
  /** undefined when the results do not list this option */
  results: number | undefined;
  message: string;
}

function key(questionId: string, optionId: string): string {
  return JSON.stringify([questionId, optionId]);
}

/**
 * Every difference between the tally recomputed from the log and the published results, options
 * first (in the results' order, then options only the log has), the total last. An option the log
 * never mentions has 0 votes in the log.
 */
export function compareTallyWithResults(tally: LogTallySummary, results: ElectionResults): TallyDifference[] {
  const fromLog = new Map<string, { questionId: string; optionId: string; votes: number }>();
  for (const question of tally.questions) {
    for (const option of question.options) {
      fromLog.set(key(question.questionId, option.optionId), { questionId: question.questionId, ...option });
    }
  }
  const differences: TallyDifference[] = [];
  const listed = new Set<string>();
  for (const question of results.questions) {
    for (const option of question.options) {
      const k = key(question.questionId, option.optionId);
      listed.add(k);
      const log = fromLog.get(k)?.votes ?? 0;
      if (log !== option.votes) {
        differences.push({
          questionId: question.questionId,
          optionId: option.optionId,
          log,
          results: option.votes,
          message: `option ${option.optionId} of question ${question.questionId}: the log counts ${log}, the results say ${option.votes}`,
        });
      }
    }
  }
  for (const [k, option] of fromLog) {
    if (listed.has(k) || option.votes === 0) continue;
    differences.push({
      questionId: option.questionId,
      optionId: option.optionId,
      log: option.votes,
      results: undefined,
      message: `option ${option.optionId} of question ${option.questionId}: the log counts ${option.votes}, the results do not list it`,
    });
  }
  if (tally.totalBallots !== results.totalBallots) {
    differences.push({
      log: tally.totalBallots,
      results: results.totalBallots,
      message: `totalBallots: the log counts ${tally.totalBallots}, the results say ${results.totalBallots}`,
    });
  }
  return differences;
}
