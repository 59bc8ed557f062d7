import { Counter, Histogram, type Registry } from 'prom-client';

/** Identity's own metrics; token and proof verifications are counted by `@onevote/auth`. */
export function createIdentityMetrics(registry: Registry) {
  return {
    logins: new Counter({
      name: 'identity_logins_total',
      help: 'Logins by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    registrations: new Counter({
      name: 'identity_registrations_total',
      help: 'Registrations by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    challenges: new Counter({
      name: 'identity_challenges_total',
      help: 'Proof-of-work challenges issued, and solutions failed, replayed or too easy',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    challengeLevels: new Histogram({
      name: 'identity_challenge_level',
      help: 'Level of the challenges issued (each doubles the work), by purpose',
      labelNames: ['purpose'] as const,
      buckets: [0, 1, 2, 3, 4, 5, 6, 8, 10, 12],
      registers: [registry],
    }),
    refreshes: new Counter({
      name: 'identity_refreshes_total',
      help: 'Refresh-token exchanges by outcome (reused = family revoked)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    emailCodes: new Counter({
      name: 'identity_email_codes_total',
      help: 'One-time codes by purpose and event: sent, mail_failed, used, wrong, spent (too many wrong), none (no live code), taken (an email change refused: the address was registered meanwhile)',
      labelNames: ['purpose', 'event'] as const,
      registers: [registry],
    }),
    accountDeletions: new Counter({
      name: 'identity_account_deletions_total',
      help: 'Accounts deleted by their owners',
      registers: [registry],
    }),
    mfa: new Counter({
      name: 'identity_mfa_total',
      help: 'Second factors: totp_enrolled, and at login otp_ok, otp_missing, otp_wrong',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    passkeys: new Counter({
      name: 'identity_passkeys_total',
      help: 'Passkeys: registered, registration_failed, removed, counter_regressed (a cloned authenticator?)',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    passkeyLogins: new Counter({
      name: 'identity_passkey_logins_total',
      help: 'Passkey logins by outcome',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    passwordHashing: new Histogram({
      name: 'identity_password_hash_duration_seconds',
      help: 'argon2id hashing or verification time',
      labelNames: ['op'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
  };
}

export type IdentityMetrics = ReturnType<typeof createIdentityMetrics>;
