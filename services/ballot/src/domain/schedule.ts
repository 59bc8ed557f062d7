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
