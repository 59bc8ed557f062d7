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
      help: 'Proof-of-work challenges issued, and solutions failed or replayed',
      labelNames: ['event'] as const,
      registers: [registry],
    }),
    refreshes: new Counter({
      name: 'identity_refreshes_total',
      help: 'Refresh-token exchanges by outcome (reused = family revoked)',
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
