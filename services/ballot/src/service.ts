import type { KV } from '@nats-io/kv';
import { openElectionsBucket, shardUrls } from '@onevote/election-config';
import type { ServiceDefinition, Sql } from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

/** ballot as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const ballotService: ServiceDefinition<typeof configSchema, ReturnType<typeof buildApp> & { kv: KV }> = {
  name: 'ballot',
  configSchema,
  async build({ config, logger, metrics, postgres, redis, nats }) {
    const sql = await postgres({
      url: config.DATABASE_URL,
      max: config.DATABASE_POOL_MAX,
      migrations: { schema: 'ballot', dir: new URL('../migrations/', import.meta.url) },
    });
    // vote-api's ballots on every vote shard group (export, roll counts, void actions); group 0 is
    // normally this same database, and then this same pool.
    const urls = shardUrls(config);
    const votes: Sql[] = [];
    for (const [index, url] of urls.entries()) {
      votes.push(
        url === config.DATABASE_URL
          ? sql
          : await postgres({ url, applicationName: `ballot shard ${index}`, max: Math.min(4, config.DATABASE_POOL_MAX), ready: false }),
      );
    }
    const nc = await nats(config.NATS_URL);
    const kv = await openElectionsBucket(nc, config.ELECTIONS_BUCKET, { create: true, replicas: config.NATS_REPLICAS, logger });
    return { ...buildApp({ config, logger, metrics, sql, votes, redis: redis(config.REDIS_URL), nc, kv }), kv };
  },
};
