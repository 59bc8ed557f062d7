import type { App, ServiceDefinition, Sql } from '@onevote/platform';
import { buildApp } from './app.ts';
import { configSchema } from './config.ts';

/** identity as `main.ts` and the test harnesses boot it (the platform bootstrap). */
export const identityService: ServiceDefinition<typeof configSchema, { app: App; sql: Sql }> = {
  name: 'identity',
  configSchema,
  async build({ config, logger, metrics, postgres, redis }) {
    const sql = await postgres({
      url: config.DATABASE_URL,
      migrations: { schema: 'identity', dir: new URL('../migrations/', import.meta.url) },
    });
    const app = await buildApp({ config, logger, metrics, sql, redis: redis(config.REDIS_URL) });
    return { app, sql };
  },
};
