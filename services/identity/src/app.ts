import { readFileSync } from 'node:fs';
import { AltchaChallenges, createAuthenticator, RedisReplayStore, type ReplayStore } from '@onevote/auth';
import { type App, createServer, type Logger, type Metrics, readiness, type Sql } from '@onevote/platform';
import type { Redis } from 'ioredis';
import { KeyVault } from './adapters/key-vault.ts';
import { LoginThrottle } from './adapters/login-throttle.ts';
import { PasswordHasher } from './adapters/password-hasher.ts';
import { RefreshTokensRepository } from './adapters/refresh-tokens.repository.ts';
import { ensureSigningKey, SigningKeys } from './adapters/signing-keys.ts';
import { VotersRepository } from './adapters/voters.repository.ts';
import type { Config } from './config.ts';
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
  redis: Redis;
  /** Defaults to the shared Redis replay store (DPoP `jti`, ALTCHA solutions). */
  replay?: ReplayStore;
}

export const commonPasswordsFile = new URL('./domain/common-passwords.txt', import.meta.url);

export function keyPublicationPolicy(
  config: Pick<Config, 'ACCESS_TOKEN_TTL_SECONDS' | 'KEY_RELOAD_SECONDS'>,
) {
  // A replica may sign with a superseded key until its next reload; allow for that and clock skew.
  return { tokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS, lagSeconds: config.KEY_RELOAD_SECONDS + 30 };
}

/** Builds the identity service; reads (and on first start creates) the signing keys. */
export async function buildApp({ config, logger, metrics, sql, redis, replay }: AppDeps): Promise<App> {
  const replayStore = replay ?? new RedisReplayStore(redis);
  const vault = new KeyVault(config.KEY_ENCRYPTION_KEY);
  const keys = new SigningKeys(sql, vault, keyPublicationPolicy(config));
  await ensureSigningKey(sql, vault);
  await keys.load();

  const deps: IdentityDeps = {
    voters: new VotersRepository(sql),
    refreshTokens: new RefreshTokensRepository(sql, config.REFRESH_TOKEN_TTL_SECONDS),
    tokens: new AccessTokens(keys, {
      issuer: config.TOKEN_ISSUER,
      audience: config.TOKEN_AUDIENCE,
      ttlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
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
      perAccount: config.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      perIp: config.LOGIN_MAX_FAILURES_PER_IP,
      perSubnet: config.LOGIN_MAX_FAILURES_PER_SUBNET,
      registrationsPerIpPerHour: config.REGISTRATIONS_PER_IP_PER_HOUR,
      challengesPerIpPerMinute: config.CHALLENGES_PER_IP_PER_MINUTE,
    }),
    altcha: new AltchaChallenges({
      hmacKey: config.ALTCHA_HMAC_KEY,
      cost: config.ALTCHA_COST,
      keyPrefixLength: config.ALTCHA_KEY_PREFIX_LENGTH,
      expiresInSeconds: config.ALTCHA_EXPIRES_SECONDS,
      replay: replayStore,
    }),
    authenticator: createAuthenticator(config, { replay: replayStore, registry: metrics.registry }),
    commonPasswords: parsePasswordList(readFileSync(commonPasswordsFile, 'utf8')),
    metrics: createIdentityMetrics(metrics.registry),
    logger,
    slowdown: {
      afterFailures: config.LOGIN_SLOWDOWN_AFTER_FAILURES,
      stepMs: config.LOGIN_SLOWDOWN_STEP_MS,
      maxMs: config.LOGIN_SLOWDOWN_MAX_MS,
    },
  };

  const app = createServer({
    service: 'identity',
    logger,
    metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    readiness: [readiness.postgres(sql), readiness.redis(redis)],
  });

  // Learns of rotations made by the CLI or another replica; a failed reload keeps the keys it has.
  const reload = setInterval(() => {
    keys.load().catch((err: unknown) => logger.warn({ err }, 'signing key reload failed'));
  }, config.KEY_RELOAD_SECONDS * 1000);
  reload.unref();
  app.addHook('onClose', async () => clearInterval(reload));

  authRoutes(app, deps);
  jwksRoute(app, keys);
  return app;
}
