import { ElectionConfigCache, openElectionsBucket, shardUrls } from '@onevote/election-config';
import type { App, ServiceDefinition, Sql } from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

/** vote-api as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const voteApiService: ServiceDefinition<
  typeof configSchema,
  { app: App; sql: Sql; shards: Sql[]; elections: ElectionConfigCache }
> = {
  name: 'vote-api',
  configSchema,
  async build({ config, logger, metrics, postgresShards, redis, nats, onClose }) {
    // One pool per vote shard group (VOTE_SHARD_URLS; one group = DATABASE_URL), each migrated.
    const shards = await postgresShards(shardUrls(config), {
      // One connection per concurrent commit, plus some for reads (votes/me, conflict look-ups).
      max: config.COMMIT_CONCURRENCY + 4,
      // An unreachable server must turn into a 503 within a second.
      connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS,
      session: {
        // I1: a ballot is answered only after a durable commit; never trust a server default for it.
        synchronous_commit: 'on',
        // A statement that hangs is aborted by the server: it rolls back rather than committing after
        // we answered 503.
        statement_timeout: config.PG_STATEMENT_TIMEOUT_MS,
        idle_in_transaction_session_timeout: config.PG_STATEMENT_TIMEOUT_MS * 2,
      },
      migrations: { schema: 'votes', dir: new URL('../migrations/', import.meta.url) },
    });
    const redisClient = redis(config.REDIS_URL);
    const nc = await nats(config.NATS_URL);
    const elections = await ElectionConfigCache.start(await openElectionsBucket(nc, config.ELECTIONS_BUCKET), {
      logger,
    });
    onClose(() => elections.stop());
    const app = buildApp({ config, logger, metrics, shards, redis: redisClient, nc, elections });
    return { app, sql: shards[0]!, shards, elections };
  },
};
