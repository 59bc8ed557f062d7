import type { Principal } from '@onevote/auth';
import { invalidToken } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import { consumeOr429 } from '../adapters/counters.ts';
import { isValidEmail, maskEmail, normaliseEmail } from '../domain/email.ts';
import { type IdentityDeps, timed } from './identity.ts';
import { secondFactor } from './mfa.ts';
import { checkCode, type CodeMessage, mailCode } from './one-time-codes.ts';

export interface EmailChangeRequest {
  email: string;
  password: string;
  otp?: string;
}

const codeMessage: CodeMessage = (code, minutes) => ({
  subject: `${code} is your OneVote code to confirm your new address`,
  text: `Someone asked to use this address for their OneVote account. To confirm it, enter the code ${code}.\n\nIt expires in ${minutes} minutes. If it was not you, ignore this message: nothing changes until the code is entered.`,
});

// Mailed instead of a code when the new address already has an account: the caller gets the same
// 202 either way, and only whoever reads this mailbox learns that it is registered.
const alreadyRegistered: CodeMessage = () => ({
  subject: 'This address already has a OneVote account',
  text: 'Someone signed in to a OneVote account asked to change its address to this one. This address already belongs to another OneVote account, so nothing was changed and no code was sent.\n\nIf it was you, sign in with this address instead (or reset its password). If it was not, you can ignore this message.',
});

const changedNotice = (newAddress: string) => ({
  subject: 'The address of your OneVote account was changed',
  text: `The email address of your OneVote account was changed to ${maskEmail(newAddress)}. Messages about the account go there from now on, and you sign in with it.\n\nIf you did this, there is nothing to do. If not, someone else controls your account: contact the organisers of your vote.`,
});

/**
 * Starts an email change: the caller proves the account again (password, and the app's code if
 * set), and the new address gets a code. The account keeps its address until the code comes back.
 * A new address that belongs to another account is answered the same (see `alreadyRegistered`),
 * with the same limits and the same mail round trip; its code is stored but never mailed.
 */
export async function requestEmailChange(deps: IdentityDeps, principal: Principal, input: EmailChangeRequest): Promise<void> {
  const voter = await deps.voters.byId(principal.voterId);
  if (!voter) throw invalidToken('the voter no longer exists');
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) throw new AppError('invalid_request', { detail: 'email is not a valid address' });
  if (email === voter.email) throw new AppError('invalid_request', { detail: 'that is already the address of this account' });

  // A stolen session must not be able to guess the password here at argon2's pace alone.
  await consumeOr429(deps.reauthAttempts, voter.id, 'too many password checks; wait a few minutes');
  const ok = await timed(deps, 'verify', () => deps.hasher.verify(voter.passwordHash, input.password));
  if (!ok) throw new AppError('invalid_credentials', { detail: 'the password is wrong' });
  await secondFactor(deps, voter.id, input.otp);

  const taken = (await deps.voters.byEmail(email)) !== undefined;
  await mailCode(deps, { id: voter.id, email }, 'change_email', taken ? alreadyRegistered : codeMessage);
}

/**
 * Confirms an email change with the code mailed to the new address: in one transaction the account
 * switches to it, verified. Then the old address is told (no code). An address registered by
 * another account since the code was sent is `409 email_taken`, and nothing changes.
 */
export async function confirmEmailChange(
  deps: IdentityDeps,
  principal: Principal,
  code: string,
): Promise<{ email: string; emailVerified: true }> {
  const count = (event: string) => deps.metrics.emailCodes.inc({ purpose: 'change_email', event });
  const stored = await checkCode(deps, principal.voterId, 'change_email', code);
  // Never null for this purpose (a check constraint says so); '' would match no code below.
  const email = stored.sentTo ?? '';
  const outcome = await deps.voters.switchEmail(principal.voterId, { email, codeHash: stored.codeHash });
  switch (outcome.kind) {
    case 'no_voter':
      throw invalidToken('the voter no longer exists');
    case 'code_gone':
      // Spent by a concurrent confirmation, or replaced by a new request, since it was checked.
      count('none');
      throw new AppError('invalid_code', { detail: 'no code is waiting (it was used or replaced): ask for a new one' });
    case 'taken':
      count('taken');
      throw new AppError('email_taken', { detail: 'another account has this address now; nothing was changed' });
    case 'switched':
      break;
  }
  count('used');
  deps.logger.info({ voterId: principal.voterId }, 'email address changed');
  try {
    await deps.mail?.send({ to: outcome.previous, ...changedNotice(email) });
  } catch (err) {
    // The change is made; only the notice is lost. Logged by kind (an SMTP reply can quote the message).
    const e = err as { code?: string; responseCode?: number };
    deps.logger.error({ purpose: 'change_email', smtpError: e.code, responseCode: e.responseCode }, 'email change notice not sent');
  }
  return { email, emailVerified: true };
}
