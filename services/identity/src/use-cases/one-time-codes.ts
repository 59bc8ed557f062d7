import { AppError } from '@onevote/platform';
import { consumeOr429 } from '../adapters/counters.ts';
import type { StoredCode } from '../adapters/email-codes.repository.ts';
import { type CodePurpose, newCode } from '../domain/email-code.ts';
import type { IdentityDeps } from './identity.ts';

/** What the mail says, given the code and its lifetime in minutes. */
export type CodeMessage = (code: string, minutes: number) => { subject: string; text: string };

/**
 * Mails a voter a new 6-digit code for `purpose`; it replaces the last one. At most one every
 * EMAIL_CODE_RESEND_SECONDS and EMAIL_CODES_PER_HOUR an hour (429 otherwise). `voter.email` is where
 * it goes, and what the code proves (for an email change, the new address).
 */
export async function mailCode(
  deps: IdentityDeps,
  voter: { id: string; email: string },
  purpose: CodePurpose,
  message: CodeMessage,
): Promise<void> {
  const count = (event: string) => deps.metrics.emailCodes.inc({ purpose, event });
  if (!deps.mail) throw new AppError('unavailable', { detail: 'this server cannot send mail (no SMTP_URL)', retryAfter: 60 });
  const { ttlSeconds, resendSeconds } = deps.codePolicy;
  const age = await deps.emailCodes.secondsSinceLast(voter.id, purpose);
  if (age !== undefined && age < resendSeconds) {
    throw new AppError('rate_limited', {
      detail: 'a code was sent a moment ago; ask for another in a minute',
      retryAfter: Math.max(1, Math.ceil(resendSeconds - age)),
    });
  }
  await consumeOr429(deps.codeSends, `${purpose}:${voter.id}`, 'too many codes were asked for in the last hour');

  const code = newCode();
  await deps.emailCodes.replace(voter.id, purpose, deps.codeHasher.hash(voter.id, purpose, code), ttlSeconds, voter.email);
  try {
    await deps.mail.send({ to: voter.email, ...message(code, Math.round(ttlSeconds / 60)) });
  } catch (err) {
    // The code never reached the voter: drop it, so the cooldown does not stop a retry. The error
    // is logged by kind only (an SMTP reply can quote the message).
    await deps.emailCodes.remove(voter.id, purpose);
    count('mail_failed');
    const e = err as { code?: string; responseCode?: number };
    deps.logger.error({ purpose, smtpError: e.code, responseCode: e.responseCode }, 'code mail not sent');
    throw new AppError('unavailable', { detail: 'the mail could not be sent; try again shortly', retryAfter: 5 });
  }
  count('sent');
}

/**
 * Checks a mailed code, counting the attempt, and returns it when right; it stays stored, for the
 * caller to spend. Wrong: `400 invalid_code` with the tries left; after EMAIL_CODE_MAX_ATTEMPTS
 * wrong codes, `429` until a new code is asked for.
 */
export async function checkCode(deps: IdentityDeps, voterId: string, purpose: CodePurpose, code: string): Promise<StoredCode> {
  const count = (event: string) => deps.metrics.emailCodes.inc({ purpose, event });
  const { maxAttempts } = deps.codePolicy;
  const stored = await deps.emailCodes.attempt(voterId, purpose, maxAttempts);
  if (stored === 'none') {
    count('none');
    throw new AppError('invalid_code', { detail: 'no code is waiting (none was sent, or it expired): ask for a new one' });
  }
  if (stored === 'spent') {
    count('spent');
    throw new AppError('rate_limited', { detail: `${maxAttempts} wrong codes: ask for a new one`, retryAfter: 1 });
  }
  if (!deps.codeHasher.matches(stored.codeHash, voterId, purpose, code)) {
    count('wrong');
    const left = maxAttempts - stored.attempts;
    throw new AppError('invalid_code', {
      detail: left > 0 ? `wrong code; ${left} ${left === 1 ? 'try' : 'tries'} left` : 'wrong code; ask for a new one',
    });
  }
  return stored;
}

/** Checks a mailed code (as `checkCode`) and spends it when right. */
export async function spendCode(deps: IdentityDeps, voterId: string, purpose: CodePurpose, code: string): Promise<void> {
  await checkCode(deps, voterId, purpose, code);
  await deps.emailCodes.remove(voterId, purpose);
  deps.metrics.emailCodes.inc({ purpose, event: 'used' });
}
