import type { Principal } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import { type IdentityDeps, timed } from './identity.ts';
import { secondFactor } from './mfa.ts';

export interface SessionView {
  id: string;
  createdAt: string;
  lastUsedAt: string;
  amr: string[];
  /** The session the caller's token belongs to. */
  current: boolean;
}

/** The caller's signed-in sessions (one per login), newest first. */
export async function listSessions(deps: IdentityDeps, principal: Principal): Promise<{ sessions: SessionView[] }> {
  const sessions = await deps.refreshTokens.sessions(principal.voterId);
  return {
    sessions: sessions.map((s) => ({
      id: s.id,
      createdAt: s.createdAt.toISOString(),
      lastUsedAt: s.lastUsedAt.toISOString(),
      amr: s.amr,
      current: s.id === principal.sessionId,
    })),
  };
}

export async function endSession(deps: IdentityDeps, principal: Principal, sessionId: string): Promise<void> {
  if (!(await deps.refreshTokens.revokeSession(principal.voterId, sessionId))) {
    throw new AppError('not_found', { detail: 'no such session of yours (or it already ended)' });
  }
}

/** "Log out everywhere": every session ends, and access tokens already issued stop on admin calls. */
export async function endAllSessions(deps: IdentityDeps, principal: Principal): Promise<void> {
  await deps.refreshTokens.revokeAllFamilies(principal.voterId, 'logout_everywhere');
  await deps.revocations.revokeAllBefore(deps.tokens.issuer, principal.voterId, deps.tokens.maxTtlSeconds);
}

/**
 * Deletes the caller's account after they prove it again (password, and the app's code if set).
 * Every identity row of the voter goes (sessions, codes, factors cascade). Ballots they cast stay
 * counted: vote-api keeps only the voter id, which nothing maps to a person any more, and a new
 * account with the same address is a new voter.
 */
export async function deleteAccount(
  deps: IdentityDeps,
  principal: Principal,
  input: { password: string; otp?: string },
): Promise<void> {
  const voter = await deps.voters.byId(principal.voterId);
  if (!voter) throw new AppError('not_found', { detail: 'the account no longer exists' });
  const ok = await timed(deps, 'verify', () => deps.hasher.verify(voter.passwordHash, input.password));
  if (!ok) throw new AppError('invalid_credentials', { detail: 'the password is wrong' });
  await secondFactor(deps, voter.id, input.otp);
  await deps.voters.remove(voter.id);
  await deps.revocations.revokeAllBefore(deps.tokens.issuer, voter.id, deps.tokens.maxTtlSeconds);
  deps.metrics.accountDeletions.inc();
  deps.logger.info({ voterId: voter.id }, 'account deleted');
}
