import type { VerifiedProof } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import { loginLevel } from '../domain/challenge-policy.ts';
import { slowdownMs } from '../domain/client-network.ts';
import { checkChallenge, type IdentityDeps } from './identity.ts';

/**
 * What every login (password or passkey) goes through before its credential is looked at, and
 * after it fails. `account` is what the throttle counts failures on: the email, or the passkey's
 * credential id.
 */
export interface LoginAttempt {
  account: string;
  clientIp: string;
  altcha: string;
  proof: () => Promise<VerifiedProof>;
  /** Counts an outcome in the login kind's metric. */
  outcome: (o: string) => void;
}

/**
 * Failure counts (one Redis round trip; 429 if the address or network is locked out) -> DPoP proof
 * -> challenge, at the level the failures call for. Returns the DPoP key's thumbprint.
 */
export async function openLogin(deps: IdentityDeps, attempt: LoginAttempt): Promise<string> {
  try {
    const failures = await deps.throttle.loginFailures(attempt.account, attempt.clientIp);
    const { jkt } = await attempt.proof();
    await checkChallenge(deps, attempt.altcha, {
      purpose: 'login',
      minLevel: loginLevel(failures, deps.challengePolicy.login),
    });
    return jkt;
  } catch (err) {
    attempt.outcome(err instanceof AppError ? err.code : 'error');
    throw err;
  }
}

/**
 * A failed login: counted towards the throttle and slowed down. Returns the error to throw: `error`,
 * or the throttle's 429 when this failure locked the address or network out.
 */
export async function failedLogin(deps: IdentityDeps, attempt: LoginAttempt, error: AppError): Promise<AppError> {
  let failures: number;
  try {
    failures = await deps.throttle.recordFailure(attempt.account, attempt.clientIp);
  } catch (err) {
    attempt.outcome('rate_limited');
    deps.logger.warn({ clientIp: attempt.clientIp }, 'login locked out after repeated failures');
    return err as AppError;
  }
  const delay = slowdownMs(failures, deps.slowdown);
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
  attempt.outcome(error.code);
  return error;
}
