import { createAuthenticator, RedisReplayStore, RedisRevocationList } from '@onevote/auth';
import { ElectionConfigCache, openElectionsBucket, shardUrls } from '@onevote/election-config';
import type { App, ServiceDefinition } from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

/** results as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const resultsService: ServiceDefinition<typeof configSchema, { app: App }> = {
  name: 'results',
  configSchema,
  async build({ config, logger, metrics, postgresShards, redis, nats, onClose }) {
    // The tallies of every vote shard group (VOTE_SHARD_URLS; one group: DATABASE_URL).
    // Several groups: ready while any answers (a group away leaves the others' tallies live).
    const shards = await postgresShards(shardUrls(config), { max: config.DATABASE_POOL_SIZE });
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
    return { app: await buildApp({ config, logger, metrics, shards, nc, configs, authenticator }) };
  },
};
