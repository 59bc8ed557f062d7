// The tally a log implies: its ballot leaves minus the voided ones (API.md "Audit log").
import { InvalidLeafError, parseLeaf, type Selection } from './leaf.ts';

export interface LeafProblem {
  leafIndex: number;
  message: string;
}

export interface OptionTally {
  optionId: string;
  votes: number;
}

export interface QuestionTally {
  questionId: string;
  options: OptionTally[];
}

export interface LogTallySummary {
  /** ballot leaves not voided */
  totalBallots: number;
  ballotLeaves: number;
  voided: number;
  events: number;
  /** leaves of kinds this verifier does not know (ignored) */
  otherLeaves: number;
  /** questions and options in order of first appearance in the log */
  questions: QuestionTally[];
}

export interface BallotInLog {
  leafIndex: number;
  voided?: { leafIndex: number; reason?: string };
}

/** At most this many problems are kept: the first one is what a verifier reports. */
const problemLimit = 100;

/**
 * Tallies leaves in log order, one at a time, so a long log is never held in memory as text.
 * Problems (a leaf that is not valid, of another election, a ballot twice, a void of a ballot not
 * earlier in the log) are collected, not thrown, so the caller decides when to report them.
 */
export class LogTally {
  private readonly ballotOrdinal = new Map<string, number>();
  private readonly ballotLeafIndex: number[] = [];
  // Ballots with the same selections share one array: most elections have few distinct ballots.
  private readonly ballotSelections: Selection[][] = [];
  private readonly distinctSelections = new Map<string, Selection[]>();
  private readonly voids = new Map<number, { leafIndex: number; reason?: string }>();
  private readonly votes = new Map<string, Map<string, number>>();
  private readonly problemList: LeafProblem[] = [];
  private events = 0;
  private otherLeaves = 0;

  constructor(private readonly electionId: string) {}

  get problems(): readonly LeafProblem[] {
    return this.problemList;
  }

  add(leafIndex: number, leafText: string): void {
    let leaf;
    try {
      leaf = parseLeaf(leafText);
    } catch (error) {
      if (!(error instanceof InvalidLeafError)) throw error;
      return this.problem(leafIndex, `entry ${leafIndex} is not a valid leaf: ${error.message}`);
    }
    if (leaf.kind === 'other') {
      this.otherLeaves++;
      return;
    }
    if (leaf.electionId !== this.electionId) {
      return this.problem(leafIndex, `entry ${leafIndex} belongs to election ${leaf.electionId}, not ${this.electionId}`);
    }
    if (leaf.kind === 'event') {
      this.events++;
      return;
    }
    const ordinal = this.ballotOrdinal.get(leaf.ballot);
    if (leaf.kind === 'ballot') {
      if (ordinal !== undefined) {
        return this.problem(
          leafIndex,
          `entry ${leafIndex} repeats ballot ${leaf.ballot}, already entry ${this.ballotLeafIndex[ordinal]}`,
        );
      }
      this.ballotOrdinal.set(leaf.ballot, this.ballotLeafIndex.length);
      this.ballotLeafIndex.push(leafIndex);
      this.ballotSelections.push(this.shared(leaf.selections));
      this.count(leaf.selections, 1);
      return;
    }
    // A void cancels a ballot logged before it; the ballot stays in the log.
    if (ordinal === undefined) {
      return this.problem(leafIndex, `entry ${leafIndex} voids ballot ${leaf.ballot}, which is not earlier in the log`);
    }
    const earlier = this.voids.get(ordinal);
    if (earlier) {
      return this.problem(leafIndex, `entry ${leafIndex} voids ballot ${leaf.ballot} again (already voided by entry ${earlier.leafIndex})`);
    }
    this.voids.set(ordinal, { leafIndex, ...(leaf.reason === undefined ? {} : { reason: leaf.reason }) });
    this.count(this.ballotSelections[ordinal]!, -1);
  }

  /** Where a ballot (its hash) is in the log and whether it was voided. */
  ballot(ballotHash: string): BallotInLog | undefined {
    const ordinal = this.ballotOrdinal.get(ballotHash);
    if (ordinal === undefined) return undefined;
    const voided = this.voids.get(ordinal);
    return { leafIndex: this.ballotLeafIndex[ordinal]!, ...(voided ? { voided } : {}) };
  }

  summary(): LogTallySummary {
    return {
      totalBallots: this.ballotLeafIndex.length - this.voids.size,
      ballotLeaves: this.ballotLeafIndex.length,
      voided: this.voids.size,
      events: this.events,
      otherLeaves: this.otherLeaves,
      questions: [...this.votes].map(([questionId, options]) => ({
        questionId,
        options: [...options].map(([optionId, votes]) => ({ optionId, votes })),
      })),
    };
  }

  private count(selections: readonly Selection[], delta: number): void {
    for (const { questionId, optionIds } of selections) {
      let options = this.votes.get(questionId);
      if (!options) this.votes.set(questionId, (options = new Map()));
      for (const optionId of optionIds) options.set(optionId, (options.get(optionId) ?? 0) + delta);
    }
  }

  private shared(selections: Selection[]): Selection[] {
    const key = JSON.stringify(selections);
    const known = this.distinctSelections.get(key);
    if (known) return known;
    this.distinctSelections.set(key, selections);
    return selections;
  }

  private problem(leafIndex: number, message: string): void {
    if (this.problemList.length < problemLimit) this.problemList.push({ leafIndex, message });
  }
}

export interface TallyOfLeaves {
  tally: LogTallySummary;
  problems: LeafProblem[];
}

/** Tallies a whole log (leaf texts in log order, entry i at index i). */
export function tallyLeaves(leaves: readonly string[], options: { electionId: string }): TallyOfLeaves {
  const tally = new LogTally(options.electionId);
  leaves.forEach((leaf, leafIndex) => tally.add(leafIndex, leaf));
  return { tally: tally.summary(), problems: [...tally.problems] };
}
