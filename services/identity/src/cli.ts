/**
 * Operator commands, run with the service's environment:
 *   seed                  create the admin from ONEVOTE_ADMIN_EMAIL / ONEVOTE_ADMIN_PASSWORD (idempotent)
 *   grant-admin <email>   give a voter the admin role (effective from their next token)
 *   revoke-admin <email>  take it away; their access tokens stop working on admin calls at once
 *   rotate-key            publish a new signing key; it signs after KEY_ACTIVATION_DELAY_SECONDS
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RedisRevocationList } from '@onevote/auth';
import { createLogger, createPostgres, createRedis, KeyVault, loadConfigOrExit, migrate } from '@onevote/platform';
import { PasswordHasher } from './adapters/password-hasher.ts';
import { rotateSigningKey } from './adapters/signing-keys.ts';
import { VotersRepository } from './adapters/voters.repository.ts';
import { commonPasswordsFile, keyPublicationPolicy } from './app.ts';
import { cliConfigSchema } from './config.ts';
import { maskEmail } from './domain/email.ts';
import { parsePasswordList } from './domain/password-policy.ts';
import { AdminError, seedAdmin, setAdmin } from './use-cases/admin.ts';

/** Every token the voter holds stops working on admin calls (the deny-list every service reads). */
async function revokeTokens(voterId: string) {
  if (!config.REDIS_URL || !config.TOKEN_ISSUER) {
    process.stderr.write('revoke-admin: REDIS_URL and TOKEN_ISSUER are not set; current tokens live until they expire\n');
    return;
  }
  // The services' own client: a cluster-aware one when REDIS_URL names a Redis Cluster.
  const redis = createRedis(config.REDIS_URL, logger);
  try {
    await new RedisRevocationList(redis, config.REVOCATION_KEY_PREFIX).revokeAllBefore(
      config.TOKEN_ISSUER,
      voterId,
      config.ACCESS_TOKEN_TTL_SECONDS,
    );
  } finally {
    redis.disconnect();
  }
}

const [command, arg] = process.argv.slice(2);
const usage = 'usage: cli.ts seed | grant-admin <email> | revoke-admin <email> | rotate-key';
if (!command || !['seed', 'grant-admin', 'revoke-admin', 'rotate-key'].includes(command)) {
  process.stderr.write(`${usage}\n`);
  process.exit(64);
}
if ((command === 'grant-admin' || command === 'revoke-admin') && !arg) {
  process.stderr.write(`${usage}\n`);
  process.exit(64);
}

const config = loadConfigOrExit('identity', cliConfigSchema);
const logger = createLogger('identity-cli', config.LOG_LEVEL);
const sql = createPostgres(config.DATABASE_URL, { applicationName: 'identity-cli', max: 2 });
const voters = new VotersRepository(sql);
let code = 0;
try {
  await migrate(sql, {
    schema: 'identity',
    dir: fileURLToPath(new URL('../migrations', import.meta.url)),
    logger,
  });
  if (command === 'seed') {
    if (!config.ONEVOTE_ADMIN_PASSWORD) throw new AdminError('ONEVOTE_ADMIN_PASSWORD is required to seed the admin');
    const outcome = await seedAdmin(
      {
        voters,
        hasher: new PasswordHasher({
          memoryCost: config.ARGON2_MEMORY_KIB,
          timeCost: config.ARGON2_TIME_COST,
          parallelism: config.ARGON2_PARALLELISM,
        }),
        commonPasswords: parsePasswordList(readFileSync(commonPasswordsFile, 'utf8')),
      },
      { email: config.ONEVOTE_ADMIN_EMAIL, password: config.ONEVOTE_ADMIN_PASSWORD },
    );
    logger.info({ admin: maskEmail(config.ONEVOTE_ADMIN_EMAIL), outcome }, 'admin seeded');
  } else if (command === 'grant-admin' || command === 'revoke-admin') {
    const voterId = await setAdmin(voters, arg!, command === 'grant-admin');
    if (command === 'revoke-admin') await revokeTokens(voterId);
    logger.info({ voter: maskEmail(arg!), command }, 'admin role changed');
  } else {
    if (!config.KEY_ENCRYPTION_KEY) throw new AdminError('KEY_ENCRYPTION_KEY is required to rotate keys');
    const rotated = await rotateSigningKey(sql, new KeyVault(config.KEY_ENCRYPTION_KEY), {
      activateInSeconds: config.KEY_ACTIVATION_DELAY_SECONDS,
      policy: keyPublicationPolicy(config),
    });
    logger.info(
      { kid: rotated.kid, activatesAt: rotated.activatesAt.toISOString(), deleted: rotated.deleted },
      'signing key rotated',
    );
  }
} catch (err) {
  code = 1;
  if (err instanceof AdminError) process.stderr.write(`${command}: ${err.message}\n`);
  else logger.error({ err }, `${command} failed`);
} finally {
  await sql.end({ timeout: 2 });
}
logger.flush?.();
process.exit(code);
