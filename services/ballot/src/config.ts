import { authConfigProperties } from '@onevote/auth';
import { electionConfigProperties } from '@onevote/election-config';
import { port, serviceConfig } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

export const configSchema = serviceConfig({
  PORT: port(8082),
  DATABASE_URL: Type.String({ minLength: 1 }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  REDIS_URL: Type.String({ minLength: 1 }),
  NATS_URL: Type.String({ minLength: 1 }),
  ...authConfigProperties,
  ...electionConfigProperties,
  /** How often due elections open/close and failed publishes are retried (the schedule's precision). */
  SCHEDULER_TICK_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 500 }),
  /** How often the whole KV bucket is compared with the database. */
  KV_RECONCILE_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
});

export type Config = (typeof configSchema)['static'];
