import type { VerifiedProof } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import { slowdownMs } from '../domain/client-network.ts';
import { normaliseEmail } from '../domain/email.ts';
import type { TokenPair } from './access-tokens.ts';
import { checkChallenge, type IdentityDeps, timed } from './identity.ts';

export interface LoginInput {
  email: string;
  password: string;
  altcha: string;
  clientIp: string;
  /** Verifies the request's DPoP proof (no `ath`); the tokens are bound to its key. */
  proof: () => Promise<VerifiedProof>;
}

/**
 * Order: lockout check (a Redis read) -> DPoP proof -> challenge -> argon2id. Unknown email and
 * wrong password give the same answer after the same work, and both count as failures on the
 * account, so neither status, timing nor lockout tells whether an email is registered.
 */
export async function logIn(deps: IdentityDeps, input: LoginInput): Promise<TokenPair> {
  const outcome = (o: string) => deps.metrics.logins.inc({ outcome: o });
  const email = normaliseEmail(input.email);
  let jkt: string;
  try {
    await deps.throttle.assertLoginAllowed(email, input.clientIp);
    ({ jkt } = await input.proof());
    await checkChallenge(deps, input.altcha);
  } catch (err) {
    outcome(err instanceof AppError ? err.code : 'error');
    throw err;
  }

  const voter = await deps.voters.byEmail(email);
  const ok = await timed(deps, 'verify', () =>
    voter ? deps.hasher.verify(voter.passwordHash, input.password) : deps.hasher.verifyNobody(input.password),
  );
  if (!voter || !ok) {
    let failures: number;
    try {
      failures = await deps.throttle.recordFailure(email, input.clientIp);
    } catch (err) {
      outcome('rate_limited');
      deps.logger.warn({ clientIp: input.clientIp }, 'login locked out after repeated failures');
      throw err;
    }
    const delay = slowdownMs(failures, deps.slowdown);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    outcome('invalid_credentials');
    throw new AppError('invalid_credentials');
  }

  await deps.throttle.recordSuccess(email);
  if (deps.hasher.needsRehash(voter.passwordHash)) {
    // Parameters were raised since this hash was made: upgrade it while the password is at hand.
    await deps.voters.updatePasswordHash(voter.id, await deps.hasher.hash(input.password));
  }
  const refreshToken = await deps.refreshTokens.startFamily(voter.id, jkt);
  outcome('success');
  return deps.tokens.issue(voter.id, voter.roles, jkt, refreshToken);
}
