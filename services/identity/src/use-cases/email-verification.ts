import type { Principal } from '@onevote/auth';
import { invalidToken } from '@onevote/auth';
import type { IdentityDeps } from './identity.ts';
import { mailCode, spendCode } from './one-time-codes.ts';

/** Mails the caller a code for their address (API.md, Eligibility and verified identity). */
export async function sendVerificationCode(deps: IdentityDeps, principal: Principal): Promise<void> {
  const voter = await deps.voters.byId(principal.voterId);
  if (!voter) throw invalidToken('the voter no longer exists');
  await mailCode(deps, voter, 'verify_email', (code, minutes) => ({
    subject: `${code} is your OneVote verification code`,
    text: `Your OneVote verification code is ${code}.\n\nIt expires in ${minutes} minutes. If you did not ask for it, you can ignore this message.`,
  }));
}

/** The right code marks the caller's address verified; tokens issued from then on say so. */
export async function verifyEmail(deps: IdentityDeps, principal: Principal, code: string): Promise<{ emailVerified: true }> {
  await spendCode(deps, principal.voterId, 'verify_email', code);
  await deps.voters.markEmailVerified(principal.voterId);
  return { emailVerified: true };
}
