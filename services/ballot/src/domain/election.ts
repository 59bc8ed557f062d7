import type { Election as ElectionContract } from '@onevote/contracts';
import { limits } from '@onevote/contracts';
import type { Static } from '@sinclair/typebox';
import { scheduleProblem } from './schedule.ts';

/** An election as stored, published and served (the contract's shape). */
export type Election = Static<typeof ElectionContract>;
export type ElectionStatus = Election['status'];
export type Question = Election['questions'][number];

/** What an admin sends to define an election; every field optional so PATCH can reuse it. */
export interface DefinitionInput {
  title?: string;
  description?: string;
  questions?: {
    title: string;
    minSelections?: number;
    maxSelections?: number;
    options: { label: string }[];
  }[];
  opensAt?: string | null;
  closesAt?: string | null;
  resultsVisibility?: 'live' | 'after_close';
  requireChallenge?: boolean;
  eligibility?: Election['eligibility'];
}

/** The editable part of an election: what create sets and PATCH changes. */
export type Definition = Pick<
  Election,
  | 'title'
  | 'description'
  | 'questions'
  | 'opensAt'
  | 'closesAt'
  | 'resultsVisibility'
  | 'requireChallenge'
  | 'eligibility'
>;

const eligibilities: readonly string[] = ['open', 'verified_email', 'roll'] satisfies Election['eligibility'][];

export class InvalidDefinition extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'InvalidDefinition';
  }
}

/**
 * Normalises and checks a definition: titles and labels trimmed and required, 1 <= min <= max <=
 * options per question, distinct option labels, a schedule that can happen. `newId` names new
 * questions and options (ids are minted here so a stored election is complete). Throws
 * InvalidDefinition listing every problem at once.
 */
export function defineElection(
  input: DefinitionInput,
  base: Definition | undefined,
  context: { now: Date; newId: () => string },
): Definition {
  const problems: string[] = [];
  const title = input.title !== undefined ? input.title.trim() : base?.title;
  if (!title) problems.push('title is required');
  else if (title.length > limits.titleMax) problems.push(`title is longer than ${limits.titleMax}`);

  const description = (input.description ?? base?.description ?? '').trim();
  if (description.length > limits.descriptionMax)
    problems.push(`description is longer than ${limits.descriptionMax}`);

  let questions: Question[];
  if (input.questions !== undefined) {
    questions = input.questions.map((q, qi) =>
      defineQuestion(q, `questions[${qi}]`, problems, context.newId),
    );
    if (questions.length === 0) problems.push('at least one question is required');
    if (questions.length > limits.questionsMax)
      problems.push(`at most ${limits.questionsMax} questions are allowed`);
  } else if (base) {
    questions = base.questions;
  } else {
    questions = [];
    problems.push('at least one question is required');
  }

  const opensAt = input.opensAt !== undefined ? normaliseTime(input.opensAt) : (base?.opensAt ?? null);
  const closesAt = input.closesAt !== undefined ? normaliseTime(input.closesAt) : (base?.closesAt ?? null);
  const scheduleIssue = scheduleProblem(
    { opensAt, closesAt },
    { now: context.now, changed: input.opensAt !== undefined || input.closesAt !== undefined },
  );
  if (scheduleIssue) problems.push(scheduleIssue);

  const resultsVisibility = input.resultsVisibility ?? base?.resultsVisibility ?? 'live';
  if (resultsVisibility !== 'live' && resultsVisibility !== 'after_close')
    problems.push('resultsVisibility must be "live" or "after_close"');

  const eligibility = input.eligibility ?? base?.eligibility ?? 'open';
  if (!eligibilities.includes(eligibility)) problems.push('eligibility must be "open", "verified_email" or "roll"');

  if (problems.length > 0) throw new InvalidDefinition(problems);
  return {
    title: title!,
    description,
    questions,
    opensAt,
    closesAt,
    resultsVisibility,
    requireChallenge: input.requireChallenge ?? base?.requireChallenge ?? false,
    eligibility,
  };
}

function defineQuestion(
  input: NonNullable<DefinitionInput['questions']>[number],
  where: string,
  problems: string[],
  newId: () => string,
): Question {
  const title = input.title.trim();
  if (!title) problems.push(`${where}.title is required`);
  else if (title.length > limits.titleMax) problems.push(`${where}.title is longer than ${limits.titleMax}`);
  const labels = input.options.map((o) => o.label.trim());
  if (labels.length < 2) problems.push(`${where} needs at least 2 options`);
  if (labels.length > limits.optionsMax) problems.push(`${where} has more than ${limits.optionsMax} options`);
  labels.forEach((label, oi) => {
    if (!label) problems.push(`${where}.options[${oi}].label is required`);
    else if (label.length > limits.labelMax)
      problems.push(`${where}.options[${oi}].label is longer than ${limits.labelMax}`);
  });
  if (new Set(labels).size !== labels.length) problems.push(`${where} has duplicate option labels`);
  // Default 1/1 (pick exactly one); a minimum alone raises the maximum with it.
  const minSelections = input.minSelections ?? 1;
  const maxSelections = input.maxSelections ?? Math.max(1, minSelections);
  if (!Number.isInteger(minSelections) || minSelections < 1)
    problems.push(`${where}.minSelections must be at least 1`);
  if (minSelections > maxSelections) problems.push(`${where}.minSelections must not exceed maxSelections`);
  if (maxSelections > labels.length)
    problems.push(`${where}.maxSelections must not exceed the number of options`);
  return {
    id: newId(),
    title,
    minSelections,
    maxSelections,
    options: labels.map((label) => ({ id: newId(), label })),
  };
}

function normaliseTime(value: string | null): string | null {
  if (value === null) return null;
  const ms = Date.parse(value);
  // The schema already checked the format; an impossible date (Feb 30) still parses to NaN here.
  if (Number.isNaN(ms)) throw new InvalidDefinition([`${value} is not a valid time`]);
  return new Date(ms).toISOString();
}

/** What changed between two definitions, for the history: `{ field: { from, to } }`. */
export function changesBetween(before: Definition, after: Definition): Record<string, unknown> {
  const changes: Record<string, unknown> = {};
  for (const key of Object.keys(after) as (keyof Definition)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key]))
      changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}
