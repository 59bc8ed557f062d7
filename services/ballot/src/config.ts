import { authConfigProperties, emailHashKeyProperty } from '@onevote/auth';
import { natsNames } from '@onevote/contracts';
import { electionConfigProperties, voteShardProperties } from '@onevote/election-config';
import { natsConfigProperties, port, serviceConfig } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

export const configSchema = serviceConfig({
  /** The public listener's port. */
  PORT: port(8082),
  DATABASE_URL: Type.String({ minLength: 1 }),
  /** Connections to PostgreSQL. */
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  ...voteShardProperties,
  REDIS_URL: Type.String({ minLength: 1 }),
  /** One or more comma-separated `nats://[user:password@]host:port` (every node of a cluster). */
  NATS_URL: Type.String({ minLength: 1 }),
  ...natsConfigProperties,
  ...authConfigProperties,
  ...electionConfigProperties,
  /** How often due elections open/close and failed publishes are retried (the schedule's precision). */
  SCHEDULER_TICK_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 500 }),
  /** The JetStream stream of election lifecycle events ballot publishes for the audit log. */
  ELECTION_EVENTS_STREAM: Type.String({ default: natsNames.electionEventsStream, pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  /** Hashes the addresses of voter rolls; the same key as identity's, whose tokens carry `email_hash`. */
  EMAIL_HASH_KEY: emailHashKeyProperty,
  /** Most lines in a voter roll (API.md: 1,000,000), not counting a header line. */
  ROLL_MAX_LINES: Type.Integer({ minimum: 1, maximum: 10_000_000, default: 1_000_000 }),
  /** Largest voter roll upload (bytes): 1,000,000 long addresses fit. */
  ROLL_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: 256 * 1024 * 1024 }),
  /** How often the voter rolls in Redis are checked against the database (a lost one is back within this). */
  ROLL_SYNC_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 2000 }),
  /**
   * The operations view's metric sources: comma-separated `service=url` of each process's operations
   * listener (`vote-api=http://10.0.0.5:9083,results=http://10.0.0.6:9084,...`; a service may be named
   * once per process). Empty: the view shows zeros and no sources.
   */
  OPERATIONS_METRICS_URLS: Type.String({
    default: '',
    pattern: '^$|^\\s*[a-z-]+=https?://[^,\\s]+\\s*(,\\s*[a-z-]+=https?://[^,\\s]+\\s*)*$',
  }),
  /** The operations view's scrape period (one scrape for every admin watching): a frame per this. */
  OPERATIONS_SCRAPE_MS: Type.Integer({ minimum: 250, maximum: 60_000, default: 1000 }),
  /** How often the whole KV bucket is compared with the database. */
  KV_RECONCILE_MS: Type.Integer({ minimum: 1000, maximum: 3_600_000, default: 60_000 }),
});

export type Config = (typeof configSchema)['static'];
