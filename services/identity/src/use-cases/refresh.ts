import type { Principal, VerifiedProof } from '@onevote/auth';
import { invalidProof, invalidToken } from '@onevote/auth';
import type { TokenPair } from './access-tokens.ts';
import type { IdentityDeps } from './identity.ts';

/** Exchanges a refresh token for a new pair bound to the same DPoP key; the old token is spent. */
export async function refreshTokens(
  deps: IdentityDeps,
  input: { refreshToken: string; proof: () => Promise<VerifiedProof> },
): Promise<TokenPair> {
  const outcome = (o: string) => deps.metrics.refreshes.inc({ outcome: o });
  let jkt: string;
  try {
    ({ jkt } = await input.proof());
  } catch (err) {
    outcome('invalid_dpop_proof');
    throw err;
  }
  const result = await deps.refreshTokens.rotate(input.refreshToken, jkt);
  switch (result.kind) {
    case 'rotated':
      outcome('rotated');
      return deps.tokens.issue(
        { voterId: result.voterId, roles: result.roles, emailVerified: result.emailVerified, email: result.email, amr: result.amr, sessionId: result.familyId },
        jkt,
        result.refreshToken,
      );
    case 'reused':
      outcome('reused');
      deps.logger.warn({ voterId: result.voterId }, 'spent refresh token presented again; family revoked');
      // A stolen session: the access tokens already issued to it stop working on admin calls too.
      await deps.revocations.revokeAllBefore(deps.tokens.issuer, result.voterId, deps.tokens.maxTtlSeconds);
      throw invalidToken('the refresh token was already used; its whole family is now revoked');
    case 'wrong_key':
      outcome('wrong_key');
      throw invalidProof('the proof is signed by a key the refresh token is not bound to');
    case 'invalid':
      outcome(result.reason);
      throw invalidToken(`the refresh token is ${result.reason === 'unknown' ? 'not valid' : result.reason}`);
  }
}

/**
 * Logout: revokes the refresh-token family of the caller's token, and the access token itself
 * (admin calls refuse it at once; a voter's token is too short-lived to matter elsewhere).
 */
export async function logOut(deps: IdentityDeps, input: { principal: Principal; refreshToken: string }) {
  if (!(await deps.refreshTokens.revokeFamily(input.refreshToken, input.principal.voterId))) {
    throw invalidToken('the refresh token is not one of yours');
  }
  await deps.revocations.revokeToken(input.principal);
}
