import type { Principal } from '@onevote/auth';
import { invalidToken } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import { consumeOr429 } from '../adapters/counters.ts';
import { checkTotp, newTotpSecret, totpUri } from '../domain/totp.ts';
import type { IdentityDeps } from './identity.ts';

/** RFC 8176 method references a login can prove: password (+ app code), or passkey (hwk, user). */
export type Amr = 'pwd' | 'otp' | 'mfa' | 'hwk' | 'user';

/**
 * Starts TOTP enrolment: a new secret, shown once as an `otpauth://` URI (a QR code) and as text.
 * It is used only once confirmed by a first code.
 */
export async function startTotp(deps: IdentityDeps, principal: Principal): Promise<{ secret: string; otpauthUri: string }> {
  const voter = await deps.voters.byId(principal.voterId);
  if (!voter) throw invalidToken('the voter no longer exists');
  const secret = newTotpSecret();
  if (!(await deps.totp.begin(voter.id, secret))) {
    throw new AppError('conflict', { detail: 'an authenticator app is already set up for this account' });
  }
  return { secret, otpauthUri: totpUri(secret, voter.email) };
}

/** Confirms enrolment with a first code from the app; from then on a login needs a code too. */
export async function confirmTotp(deps: IdentityDeps, principal: Principal, code: string): Promise<{ totp: true }> {
  await consumeOr429(deps.totpAttempts, principal.voterId, 'too many codes tried; wait a few minutes');
  const factor = await deps.totp.of(principal.voterId);
  if (!factor) throw new AppError('invalid_code', { detail: 'start the set-up first (POST /v1/auth/mfa/totp)' });
  if (factor.confirmed) throw new AppError('conflict', { detail: 'the authenticator app is already set up' });
  const step = await checkTotp(factor.secret, code, factor.lastTimeStep);
  if (step === undefined || !(await deps.totp.use(principal.voterId, step))) {
    throw new AppError('invalid_code', { detail: 'wrong code: check the app shows OneVote and your clock is right' });
  }
  deps.metrics.mfa.inc({ event: 'totp_enrolled' });
  return { totp: true };
}

/**
 * The second factor at login, after the password was right. Without a confirmed factor the login
 * proved a password only; with one, a current unused code is needed (403 mfa_required otherwise).
 */
export async function secondFactor(deps: IdentityDeps, voterId: string, otp: string | undefined): Promise<Amr[]> {
  const factor = await deps.totp.of(voterId);
  if (!factor?.confirmed) return ['pwd'];
  if (otp === undefined) {
    deps.metrics.mfa.inc({ event: 'otp_missing' });
    throw new AppError('mfa_required', { detail: 'this account needs the code from its authenticator app (otp)' });
  }
  const step = await checkTotp(factor.secret, otp, factor.lastTimeStep);
  if (step === undefined || !(await deps.totp.use(voterId, step))) {
    deps.metrics.mfa.inc({ event: 'otp_wrong' });
    throw new AppError('mfa_required', { detail: 'the code from the authenticator app is wrong or was already used' });
  }
  deps.metrics.mfa.inc({ event: 'otp_ok' });
  return ['pwd', 'otp', 'mfa'];
}
