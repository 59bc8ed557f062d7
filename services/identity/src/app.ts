import { readFileSync } from 'node:fs';
import {
  createAltchaChallenges,
  createAuthenticator,
  RedisReplayStore,
  RedisRevocationList,
  type ReplayStore,
} from '@onevote/auth';
import { type App, createMailSender, createServer, KeyVault, type Logger, type MailSender, type Metrics, type RedisClient, type Sql } from '@onevote/platform';
import { limiter } from './adapters/counters.ts';
import { EmailCodesRepository } from './adapters/email-codes.repository.ts';
import { LoginThrottle } from './adapters/login-throttle.ts';
import { PasskeysRepository } from './adapters/passkeys.repository.ts';
import { WebauthnChallenges } from './adapters/webauthn-challenges.ts';
import { TotpFactorsRepository } from './adapters/totp-factors.repository.ts';
import { PasswordHasher } from './adapters/password-hasher.ts';
import { RefreshTokensRepository } from './adapters/refresh-tokens.repository.ts';
import { RegistrationCounters } from './adapters/registration-counters.ts';
import { ensureSigningKey, SigningKeys } from './adapters/signing-keys.ts';
import { VotersRepository } from './adapters/voters.repository.ts';
import type { Config } from './config.ts';
import { CodeHasher } from './domain/email-code.ts';
import { parsePasswordList } from './domain/password-policy.ts';
import { authRoutes } from './http/auth-routes.ts';
import { jwksRoute } from './http/jwks-route.ts';
import { createIdentityMetrics } from './metrics.ts';
import { AccessTokens } from './use-cases/access-tokens.ts';
import type { IdentityDeps } from './use-cases/identity.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  sql: Sql;
  redis: RedisClient;
  /** Defaults to the Redis replay store of DPoP `jti`s. */
  replay?: ReplayStore;
  /** Defaults to SMTP at SMTP_URL (none when it is empty). */
  mail?: MailSender;
}

/**
 * WEBAUTHN_ORIGINS as a list. Each must be an http(s) origin with nothing after the host and port,
 * as browsers write it in clientDataJSON; a bad one stops the service at start-up.
 */
export function parseOrigins(text: string): string[] {
  return text.split(',').map((o) => o.trim()).filter(Boolean).map((o) => {
    const url = new URL(o);
    if (!/^https?:$/.test(url.protocol) || url.origin !== o) throw new Error(`WEBAUTHN_ORIGINS: ${o} is not an origin (scheme://host[:port])`);
    return o;
  });
}

export const commonPasswordsFile = new URL('./domain/common-passwords.txt', import.meta.url);

export function keyPublicationPolicy(
  config: Pick<Config, 'ACCESS_TOKEN_TTL_SECONDS' | 'KEY_RELOAD_SECONDS'>,
) {
  // A replica may sign with a superseded key until its next reload; allow for that and clock skew.
  return { tokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS, lagSeconds: config.KEY_RELOAD_SECONDS + 30 };
}

/** Builds the identity service; reads (and on first start creates) the signing keys. */
export async function buildApp({ config, logger, metrics, sql, redis, replay, mail }: AppDeps): Promise<App> {
  const replayStore = replay ?? new RedisReplayStore(redis);
  const revocations = new RedisRevocationList(redis, config.REVOCATION_KEY_PREFIX);
  const vault = new KeyVault(config.KEY_ENCRYPTION_KEY);
  const keys = new SigningKeys(sql, vault, keyPublicationPolicy(config));
  await ensureSigningKey(sql, vault);
  await keys.load();
  const mailSender = mail ?? (config.SMTP_URL ? createMailSender(config.SMTP_URL, config.MAIL_FROM) : undefined);

  const deps: IdentityDeps = {
    voters: new VotersRepository(sql),
    refreshTokens: new RefreshTokensRepository(sql, config.REFRESH_TOKEN_TTL_SECONDS),
    tokens: new AccessTokens(keys, {
      issuer: config.TOKEN_ISSUER,
      audience: config.TOKEN_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      adminTtlSeconds: config.ADMIN_ACCESS_TOKEN_TTL_SECONDS,
      emailHashKey: config.EMAIL_HASH_KEY,
    }),
    hasher: new PasswordHasher({
      memoryCost: config.ARGON2_MEMORY_KIB,
      timeCost: config.ARGON2_TIME_COST,
      parallelism: config.ARGON2_PARALLELISM,
    }),
    throttle: new LoginThrottle(redis, {
      prefix: config.REDIS_PREFIX,
      windowSeconds: config.LOGIN_FAILURE_WINDOW_SECONDS,
      lockoutSeconds: config.LOGIN_LOCKOUT_SECONDS,
      maxPerIp: config.LOGIN_MAX_FAILURES_PER_IP,
      maxPerSubnet: config.LOGIN_MAX_FAILURES_PER_SUBNET,
      challengesPerIpPerMinute: config.CHALLENGES_PER_IP_PER_MINUTE,
    }),
    registrations: new RegistrationCounters(redis, {
      prefix: config.REDIS_PREFIX,
      windowSeconds: 3600,
      maxPerIp: config.REGISTRATIONS_PER_IP_PER_HOUR,
      maxPerSubnet: config.REGISTRATIONS_PER_SUBNET_PER_HOUR,
    }),
    altcha: createAltchaChallenges(config, redis),
    challengePolicy: {
      registration: {
        allowancePerIp: config.REGISTRATION_ALLOWANCE_PER_IP_PER_HOUR,
        allowancePerSubnet: config.REGISTRATION_ALLOWANCE_PER_SUBNET_PER_HOUR,
        maxLevel: config.ALTCHA_MAX_LEVEL,
      },
      login: {
        allowancePerAccountNetwork: config.LOGIN_FAILURE_ALLOWANCE_PER_ACCOUNT_NETWORK,
        allowancePerAccount: config.LOGIN_FAILURE_ALLOWANCE_PER_ACCOUNT,
        allowancePerIp: config.LOGIN_FAILURE_ALLOWANCE_PER_IP,
        allowancePerSubnet: config.LOGIN_FAILURE_ALLOWANCE_PER_SUBNET,
        maxLevel: config.ALTCHA_MAX_LEVEL,
      },
    },
    authenticator: createAuthenticator(config, { replay: replayStore, revocations, registry: metrics.registry }),
    revocations,
    commonPasswords: parsePasswordList(readFileSync(commonPasswordsFile, 'utf8')),
    metrics: createIdentityMetrics(metrics.registry),
    logger,
    slowdown: {
      afterFailures: config.LOGIN_SLOWDOWN_AFTER_FAILURES,
      stepMs: config.LOGIN_SLOWDOWN_STEP_MS,
      maxMs: config.LOGIN_SLOWDOWN_MAX_MS,
    },
    mail: mailSender,
    emailCodes: new EmailCodesRepository(sql),
    codeHasher: new CodeHasher(config.KEY_ENCRYPTION_KEY),
    codeSends: limiter(redis, { prefix: config.REDIS_PREFIX, name: 'email-codes', points: config.EMAIL_CODES_PER_HOUR, duration: 3600 }),
    totp: new TotpFactorsRepository(sql, vault),
    totpAttempts: limiter(redis, { prefix: config.REDIS_PREFIX, name: 'totp-enrolment', points: 10, duration: 900 }),
    reauthAttempts: limiter(redis, { prefix: config.REDIS_PREFIX, name: 'email-change-reauth', points: 10, duration: 900 }),
    resetRequests: limiter(redis, { prefix: config.REDIS_PREFIX, name: 'password-resets', points: config.PASSWORD_RESETS_PER_IP_PER_HOUR, duration: 3600 }),
    codePolicy: {
      ttlSeconds: config.EMAIL_CODE_TTL_SECONDS,
      maxAttempts: config.EMAIL_CODE_MAX_ATTEMPTS,
      resendSeconds: config.EMAIL_CODE_RESEND_SECONDS,
    },
    passkeys: new PasskeysRepository(sql),
    webauthnChallenges: new WebauthnChallenges(redis, {
      prefix: config.REDIS_PREFIX,
      ttlSeconds: config.WEBAUTHN_CHALLENGE_TTL_SECONDS,
    }),
    passkeyCeremonies: limiter(redis, { prefix: config.REDIS_PREFIX, name: 'passkey-setups', points: 30, duration: 900 }),
    webauthn: {
      rpId: config.WEBAUTHN_RP_ID,
      rpName: config.WEBAUTHN_RP_NAME,
      origins: parseOrigins(config.WEBAUTHN_ORIGINS),
      challengeTtlSeconds: config.WEBAUTHN_CHALLENGE_TTL_SECONDS,
    },
  };

  const app = createServer({
    service: 'identity',
    logger,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    originSecret: config.ORIGIN_SECRET,
  });

  // Learns of rotations made by the CLI or another replica; a failed reload keeps the keys it has.
  const reload = setInterval(() => {
    keys.load().catch((err: unknown) => logger.warn({ err }, 'signing key reload failed'));
  }, config.KEY_RELOAD_SECONDS * 1000);
  reload.unref();
  app.addHook('onClose', async () => {
    clearInterval(reload);
    mailSender?.close();
  });

  authRoutes(app, deps);
  jwksRoute(app, keys);
  return app;
}
