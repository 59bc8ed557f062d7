import { AppError } from '@onevote/platform';
import { consumeOr429 } from '../adapters/counters.ts';
import { isValidEmail, normaliseEmail } from '../domain/email.ts';
import { passwordProblem, passwordProblemText } from '../domain/password-policy.ts';
import { type IdentityDeps, timed } from './identity.ts';
import { mailCode, spendCode } from './one-time-codes.ts';

function address(raw: string): string {
  const email = normaliseEmail(raw);
  if (!isValidEmail(email)) throw new AppError('invalid_request', { detail: 'email is not a valid address' });
  return email;
}

/**
 * "Forgot password": mails a reset code if the address is registered. The answer, and its timing,
 * are the same whether it is or not (the mail goes out after the answer), so the call does not tell
 * who has an account.
 */
export async function forgotPassword(deps: IdentityDeps, input: { email: string; clientIp: string }): Promise<void> {
  await consumeOr429(deps.resetRequests, input.clientIp, 'too many password resets from this address; try again later');
  const email = address(input.email);
  void (async () => {
    const voter = await deps.voters.byEmail(email);
    if (!voter) return;
    await mailCode(deps, voter, 'reset_password', (code, minutes) => ({
      subject: `${code} is your OneVote password reset code`,
      text: `Someone asked to reset the password of your OneVote account. The code is ${code}.\n\nIt expires in ${minutes} minutes. If it was not you, ignore this message: your password stays as it is.`,
    }));
  })().catch((err: unknown) => {
    // Rate limits and mail failures are not told to the caller (that would reveal the account).
    deps.logger.info({ code: (err as AppError).code ?? 'error' }, 'password reset code not sent');
  });
}

/**
 * Sets a new password with the mailed code. Every session of the account ends (refresh families
 * revoked, access tokens refused on admin calls at once). Receiving the code proves the mailbox, so
 * the address counts as verified from then on.
 */
export async function resetPassword(deps: IdentityDeps, input: { email: string; code: string; password: string }): Promise<void> {
  const email = address(input.email);
  // A weak password is refused before the code is tried, so it costs no attempt.
  const problem = passwordProblem(input.password, deps.commonPasswords);
  if (problem) throw new AppError('weak_password', { detail: passwordProblemText[problem] });
  const voter = await deps.voters.byEmail(email);
  if (!voter) throw new AppError('invalid_code', { detail: 'no code is waiting (none was sent, or it expired): ask for a new one' });
  await spendCode(deps, voter.id, 'reset_password', input.code);
  const hash = await timed(deps, 'hash', () => deps.hasher.hash(input.password));
  await deps.voters.updatePasswordHash(voter.id, hash);
  await deps.voters.markEmailVerified(voter.id);
  await deps.refreshTokens.revokeAllFamilies(voter.id, 'password_reset');
  await deps.revocations.revokeAllBefore(deps.tokens.issuer, voter.id, deps.tokens.maxTtlSeconds);
}
