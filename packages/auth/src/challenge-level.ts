/**
 * Proof-of-work levels: a challenge of level n asks for twice the expected work of level n - 1.
 * Pure functions shared by the services that issue challenges (identity) and that require them
 * (identity, vote-api).
 */

/** What a challenge is good for; `any` is issued to clients that do not say (API.md). */
export const challengePurposes = ['register', 'login', 'vote'] as const;
export type ChallengePurpose = (typeof challengePurposes)[number];
export type IssuedPurpose = ChallengePurpose | 'any';

/**
 * The level a volume calls for: 0 while it is under its allowance, then one more level at every
 * doubling (allowance -> 1, 2 × allowance -> 2, 4 × allowance -> 3), never above `maxLevel`. So the
 * work per request grows in proportion to the volume: a crowd that is twice as big pays twice as
 * much each, and nobody is ever locked out.
 */
export function levelForVolume(volume: number, allowance: number, maxLevel: number): number {
  if (!(volume >= allowance) || allowance <= 0) return 0;
  return Math.min(maxLevel, Math.floor(Math.log2(volume / allowance)) + 1);
}

/** Expected attempts of a level: the counter of a challenge is drawn from [0, 2 × expected). */
export function expectedAttempts(baseWork: number, level: number): number {
  return baseWork * 2 ** level;
}
