/** Pure rules for an election's schedule: what a definition may say, and what is due when. */

export interface Schedule {
  opensAt: string | null;
  closesAt: string | null;
}

/**
 * Why a schedule cannot happen, or undefined. `changed` says the request set a time: a stored
 * schedule whose time has passed is not refused again on an unrelated edit.
 */
export function scheduleProblem(
  schedule: Schedule,
  context: { now: Date; changed: boolean },
): string | undefined {
  const opens = schedule.opensAt ? Date.parse(schedule.opensAt) : undefined;
  const closes = schedule.closesAt ? Date.parse(schedule.closesAt) : undefined;
  if (opens !== undefined && closes !== undefined && closes <= opens) return 'closesAt must be after opensAt';
  if (context.changed && closes !== undefined && closes <= context.now.getTime())
    return 'closesAt must be in the future';
  return undefined;
}

export type DueAction = 'open' | 'close';

/**
 * What the scheduler must do to an election now. The scheduler applies exactly this rule as a
 * conditional UPDATE in PostgreSQL (`status = 'draft' and opens_at <= now()`), so whichever replica
 * gets there first moves it and every other replica's update matches no row.
 */
export function dueAction(
  election: { status: 'draft' | 'open' | 'closed' } & Schedule,
  now: Date,
): DueAction | undefined {
  const t = now.getTime();
  if (election.status === 'draft' && election.opensAt && Date.parse(election.opensAt) <= t) return 'open';
  if (election.status === 'open' && election.closesAt && Date.parse(election.closesAt) <= t) return 'close';
  return undefined;
}
