import { createAuthenticator, RedisReplayStore, RedisRevocationList } from '@onevote/auth';
import { ElectionConfigCache, openElectionsBucket } from '@onevote/election-config';
import type { App, ServiceDefinition } from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

/** results as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const resultsService: ServiceDefinition<typeof configSchema, { app: App }> = {
  name: 'results',
  configSchema,
  async build({ config, logger, metrics, postgres, redis, nats, onClose }) {
    const sql = await postgres({ url: config.DATABASE_URL, max: config.DATABASE_POOL_SIZE });
    // Only admins' views of hidden results need it: public results are served without Redis.
    const replayRedis = redis(config.REDIS_URL, { ready: false });
    const nc = await nats(config.NATS_URL);
    const configs = await ElectionConfigCache.start(await openElectionsBucket(nc, config.ELECTIONS_BUCKET), {
      logger,
    });
    onClose(() => configs.stop());
    const authenticator = createAuthenticator(config, {
      replay: new RedisReplayStore(replayRedis),
      revocations: new RedisRevocationList(replayRedis, config.REVOCATION_KEY_PREFIX),
      registry: metrics.registry,
    });
    return { app: await buildApp({ config, logger, metrics, sql, nc, configs, authenticator }) };
  },
};
