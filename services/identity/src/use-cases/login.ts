import type { VerifiedProof } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import { normaliseEmail } from '../domain/email.ts';
import type { TokenPair } from './access-tokens.ts';
import { type IdentityDeps, timed } from './identity.ts';
import { failedLogin, openLogin } from './login-gate.ts';
import { type Amr, secondFactor } from './mfa.ts';

export interface LoginInput {
  email: string;
  password: string;
  altcha: string;
  /** The authenticator app's code, for an account that has one. */
  otp?: string;
  clientIp: string;
  /** Verifies the request's DPoP proof (no `ath`); the tokens are bound to its key. */
  proof: () => Promise<VerifiedProof>;
}

/**
 * Order: failure counts (one Redis round trip; 429 if the address or network is locked out) -> DPoP
 * proof -> challenge, at the level the failures on this account from this network (and from this
 * address, network and everywhere) call for -> argon2id. Unknown email and wrong password give the
 * same answer after the same work, and both count as failures on the account, so neither status,
 * timing nor challenge level tells whether an email is registered. The account itself is never
 * locked: its owner on another network logs in at the usual level.
 */
export async function logIn(deps: IdentityDeps, input: LoginInput): Promise<TokenPair> {
  const outcome = (o: string) => deps.metrics.logins.inc({ outcome: o });
  const email = normaliseEmail(input.email);
  const attempt = { account: email, clientIp: input.clientIp, altcha: input.altcha, proof: input.proof, outcome };
  const jkt = await openLogin(deps, attempt);

  const voter = await deps.voters.byEmail(email);
  const ok = await timed(deps, 'verify', () =>
    voter ? deps.hasher.verify(voter.passwordHash, input.password) : deps.hasher.verifyNobody(input.password),
  );
  // A failure (a wrong password, or a wrong second factor) counts towards the throttle and is slowed.
  const failed = (error: AppError) => failedLogin(deps, attempt, error);
  if (!voter || !ok) throw await failed(new AppError('invalid_credentials'));
  let amr: Amr[];
  try {
    amr = await secondFactor(deps, voter.id, input.otp);
  } catch (err) {
    // Asked for only once the password was right, so it tells nothing to someone guessing it.
    if (err instanceof AppError && err.code === 'mfa_required' && input.otp !== undefined) throw await failed(err);
    if (err instanceof AppError) outcome(err.code);
    throw err;
  }

  await deps.throttle.recordSuccess(email, input.clientIp);
  if (deps.hasher.needsRehash(voter.passwordHash)) {
    // Parameters were raised since this hash was made: upgrade it while the password is at hand.
    await deps.voters.updatePasswordHash(voter.id, await deps.hasher.hash(input.password));
  }
  const session = await deps.refreshTokens.startFamily(voter.id, jkt, amr);
  outcome('success');
  return deps.tokens.issue(
    { voterId: voter.id, roles: voter.roles, emailVerified: voter.emailVerified, email: voter.email, amr, sessionId: session.familyId },
    jkt,
    session.token,
  );
}
