/**
 * Operator commands, run with the service's environment:
 *   rotate-key   retire the current tree-head signing key and make a new one current; the old key
 *                stays published in /v1/audit/keys, so every head it signed still verifies
 */
import { createLogger, createPostgres, KeyVault, loadConfigOrExit, serviceConfig } from '@onevote/platform';
import { HeadKeysRepository } from './adapters/head-keys.repository.ts';
import { configSchema } from './config.ts';

const cliSchema = serviceConfig({
  DATABASE_URL: configSchema.properties.DATABASE_URL,
  AUDIT_KEY_ENCRYPTION_KEY: configSchema.properties.AUDIT_KEY_ENCRYPTION_KEY,
});

const [command] = process.argv.slice(2);
if (command !== 'rotate-key' && command !== 'seed') {
  process.stderr.write('usage: cli.ts rotate-key\n');
  process.exit(64);
}
// `seed` is the stack's start-up step: audit has nothing to seed.
if (command === 'seed') process.exit(0);

const config = loadConfigOrExit('audit', cliSchema);
const logger = createLogger('audit-cli', config.LOG_LEVEL);
const sql = createPostgres(config.DATABASE_URL, { applicationName: 'audit-cli', max: 1 });
let code = 0;
try {
  const rotated = await new HeadKeysRepository(sql, new KeyVault(config.AUDIT_KEY_ENCRYPTION_KEY)).rotate();
  logger.info({ kid: rotated.kid }, 'tree-head signing key rotated; replicas sign with it from their next head');
} catch (err) {
  code = 1;
  logger.error({ err }, 'rotate-key failed');
} finally {
  await sql.end({ timeout: 2 });
}
logger.flush?.();
process.exit(code);
