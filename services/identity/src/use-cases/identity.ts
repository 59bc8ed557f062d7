import type { AltchaChallenges, Authenticator } from '@onevote/auth';
import { AppError, type Logger } from '@onevote/platform';
import type { LoginThrottle } from '../adapters/login-throttle.ts';
import type { PasswordHasher } from '../adapters/password-hasher.ts';
import type { RefreshTokensRepository } from '../adapters/refresh-tokens.repository.ts';
import type { VotersRepository } from '../adapters/voters.repository.ts';
import type { IdentityMetrics } from '../metrics.ts';
import type { AccessTokens } from './access-tokens.ts';

/** What the use cases work with; built once in `buildApp` (or by the CLI). */
export interface IdentityDeps {
  voters: VotersRepository;
  refreshTokens: RefreshTokensRepository;
  tokens: AccessTokens;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  altcha: AltchaChallenges;
  authenticator: Authenticator;
  commonPasswords: ReadonlySet<string>;
  metrics: IdentityMetrics;
  logger: Logger;
  slowdown: { afterFailures: number; stepMs: number; maxMs: number };
}

/** Verifies an `altcha` field, counting failures and replays apart. */
export async function checkChallenge(deps: IdentityDeps, payload: string): Promise<void> {
  try {
    await deps.altcha.verify(payload);
  } catch (err) {
    if (err instanceof AppError && err.code === 'challenge_failed') {
      deps.metrics.challenges.inc({ event: /already used/.test(err.detail) ? 'replayed' : 'failed' });
    }
    throw err;
  }
}

export async function timed<T>(deps: IdentityDeps, op: 'hash' | 'verify', work: () => Promise<T>) {
  const end = deps.metrics.passwordHashing.startTimer({ op });
  try {
    return await work();
  } finally {
    end();
  }
}
