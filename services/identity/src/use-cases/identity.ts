import type { AltchaChallenges, Authenticator, ChallengeRequirement, RedisRevocationList } from '@onevote/auth';
import { AppError, type Logger, type MailSender } from '@onevote/platform';
import type { Limiter } from '../adapters/counters.ts';
import type { EmailCodesRepository } from '../adapters/email-codes.repository.ts';
import type { LoginThrottle } from '../adapters/login-throttle.ts';
import type { PasskeysRepository } from '../adapters/passkeys.repository.ts';
import type { WebauthnChallenges } from '../adapters/webauthn-challenges.ts';
import type { TotpFactorsRepository } from '../adapters/totp-factors.repository.ts';
import type { PasswordHasher } from '../adapters/password-hasher.ts';
import type { RefreshTokensRepository } from '../adapters/refresh-tokens.repository.ts';
import type { RegistrationCounters } from '../adapters/registration-counters.ts';
import type { VotersRepository } from '../adapters/voters.repository.ts';
import type { LoginPolicy, RegistrationPolicy } from '../domain/challenge-policy.ts';
import type { CodeHasher } from '../domain/email-code.ts';
import type { IdentityMetrics } from '../metrics.ts';
import type { AccessTokens } from './access-tokens.ts';

/** What the use cases work with; built once in `buildApp` (or by the CLI). */
export interface IdentityDeps {
  voters: VotersRepository;
  refreshTokens: RefreshTokensRepository;
  tokens: AccessTokens;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  registrations: RegistrationCounters;
  altcha: AltchaChallenges;
  /** How the challenge level of each purpose follows the counters. */
  challengePolicy: { registration: RegistrationPolicy; login: LoginPolicy };
  authenticator: Authenticator;
  revocations: RedisRevocationList;
  commonPasswords: ReadonlySet<string>;
  metrics: IdentityMetrics;
  logger: Logger;
  slowdown: { afterFailures: number; stepMs: number; maxMs: number };
  /** Undefined when no SMTP server is configured: codes cannot be mailed. */
  mail: MailSender | undefined;
  emailCodes: EmailCodesRepository;
  codeHasher: CodeHasher;
  /** Codes mailed per voter per hour. */
  codeSends: Limiter;
  /** Password-reset requests per client address per hour. */
  resetRequests: Limiter;
  totp: TotpFactorsRepository;
  /** Codes tried at TOTP enrolment per voter (the login's own throttle covers logins). */
  totpAttempts: Limiter;
  /** Passwords checked again for an email change, per voter. */
  reauthAttempts: Limiter;
  codePolicy: { ttlSeconds: number; maxAttempts: number; resendSeconds: number };
  passkeys: PasskeysRepository;
  webauthnChallenges: WebauthnChallenges;
  /** Passkey set-ups started per voter. */
  passkeyCeremonies: Limiter;
  /** The relying party (WEBAUTHN_*): the RP id and the origins ceremonies may come from. */
  webauthn: { rpId: string; rpName: string; origins: string[]; challengeTtlSeconds: number };
}

/** Verifies an `altcha` field, counting failures, replays and too-easy challenges apart. */
export async function checkChallenge(
  deps: IdentityDeps,
  payload: string,
  required: ChallengeRequirement,
): Promise<void> {
  try {
    await deps.altcha.verify(payload, required);
  } catch (err) {
    if (err instanceof AppError && err.code === 'challenge_failed') {
      const event = err.extra?.challengeLevel !== undefined
        ? 'too_easy'
        : /already used/.test(err.detail)
          ? 'replayed'
          : 'failed';
      deps.metrics.challenges.inc({ event });
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
