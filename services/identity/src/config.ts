import { altchaConfigProperties, authConfigProperties } from '@onevote/auth';
import { port, serviceConfig } from '@onevote/platform';
import { type Static, Type } from '@sinclair/typebox';

/** Settings the CLI needs too (migrate, seed, grant/revoke admin, rotate-key). */
export const storeConfigProperties = {
  DATABASE_URL: Type.String({ minLength: 1 }),
  /** 32 random bytes, base64url: encrypts token-signing private keys at rest (AES-256-GCM). */
  KEY_ENCRYPTION_KEY: Type.String({ pattern: '^[A-Za-z0-9_-]{43}=?$' }),
  /** How long a new signing key is published before it signs, so verifiers can fetch it first. */
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 300, maximum: 900, default: 600 }),
  /** How often each replica re-reads the signing keys (learns of rotations). */
  KEY_RELOAD_SECONDS: Type.Integer({ minimum: 1, maximum: 3600, default: 30 }),
  KEY_ACTIVATION_DELAY_SECONDS: Type.Integer({ minimum: 0, maximum: 86_400, default: 60 }),
  // OWASP Password Storage Cheat Sheet minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
  ARGON2_MEMORY_KIB: Type.Integer({ minimum: 19_456, maximum: 1_048_576, default: 19_456 }),
  ARGON2_TIME_COST: Type.Integer({ minimum: 2, maximum: 20, default: 2 }),
  ARGON2_PARALLELISM: Type.Integer({ minimum: 1, maximum: 16, default: 1 }),
};

export const cliConfigSchema = serviceConfig({
  ...storeConfigProperties,
  KEY_ENCRYPTION_KEY: Type.Optional(storeConfigProperties.KEY_ENCRYPTION_KEY),
  ONEVOTE_ADMIN_EMAIL: Type.String({ default: 'admin@onevote.local' }),
  ONEVOTE_ADMIN_PASSWORD: Type.String({ default: 'admin-password-123' }),
});

export const configSchema = serviceConfig({
  PORT: port(8081),
  REDIS_URL: Type.String({ minLength: 1 }),
  /** `iss` of the tokens this service signs; other services list it in TRUSTED_ISSUERS. */
  TOKEN_ISSUER: Type.String({ minLength: 1 }),
  ...authConfigProperties,
  ...altchaConfigProperties,
  ...storeConfigProperties,
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 600, maximum: 90 * 86_400, default: 14 * 86_400 }),
  // Credential-stuffing defences (OWASP Credential Stuffing / Authentication cheat sheets).
  LOGIN_FAILURE_WINDOW_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  LOGIN_LOCKOUT_SECONDS: Type.Integer({ minimum: 1, maximum: 86_400, default: 900 }),
  LOGIN_MAX_FAILURES_PER_ACCOUNT: Type.Integer({ minimum: 1, default: 10 }),
  LOGIN_MAX_FAILURES_PER_IP: Type.Integer({ minimum: 1, default: 50 }),
  LOGIN_MAX_FAILURES_PER_SUBNET: Type.Integer({ minimum: 1, default: 200 }),
  /** Failed attempts on an account before each further failure is answered more slowly. */
  LOGIN_SLOWDOWN_AFTER_FAILURES: Type.Integer({ minimum: 0, default: 3 }),
  LOGIN_SLOWDOWN_STEP_MS: Type.Integer({ minimum: 0, maximum: 10_000, default: 250 }),
  LOGIN_SLOWDOWN_MAX_MS: Type.Integer({ minimum: 0, maximum: 30_000, default: 2000 }),
  REGISTRATIONS_PER_IP_PER_HOUR: Type.Integer({ minimum: 1, default: 30 }),
  CHALLENGES_PER_IP_PER_MINUTE: Type.Integer({ minimum: 1, default: 120 }),
  /** Key prefix for this service's Redis entries (rate limits, replay caches). */
  REDIS_PREFIX: Type.String({ default: 'identity:' }),
});

export type Config = Static<typeof configSchema>;
export type CliConfig = Static<typeof cliConfigSchema>;
