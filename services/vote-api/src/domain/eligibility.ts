import type { ElectionConfig } from '@onevote/election-config';

export type EligibilityRefusal = 'email_not_verified' | 'not_eligible';

/**
 * What the token alone says about a voter's eligibility (no call to identity on the hot path):
 * a refusal's problem code, `roll` when membership of the voter roll must still be looked up (by
 * the token's hash of the verified address), or undefined when the voter may vote.
 */
export function eligibilityRefusal(
  // Configs published before elections had eligibility carry none: they were open to every voter.
  eligibility: ElectionConfig['eligibility'] | undefined,
  voter: { emailVerified: boolean; emailHash?: string | undefined },
): EligibilityRefusal | 'roll' | undefined {
  switch (eligibility) {
    case undefined:
    case 'open':
      return undefined;
    case 'verified_email':
      return voter.emailVerified ? undefined : 'email_not_verified';
    case 'roll':
      if (!voter.emailVerified) return 'email_not_verified';
      // A verified address without its hash (an issuer that does not make one) cannot be on a roll.
      return voter.emailHash ? 'roll' : 'not_eligible';
    default:
      // A kind this build does not know (a newer ballot service): refuse rather than guess.
      return 'not_eligible';
  }
}
