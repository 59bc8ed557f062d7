import { natsNames } from '@onevote/contracts';
import { port, serviceConfig } from '@onevote/platform';
import { type Static, Type } from '@sinclair/typebox';

const int = (minimum: number, maximum: number, defaultValue: number) =>
  Type.Integer({ minimum, maximum, default: defaultValue });

export const configSchema = serviceConfig({
  /** The public listener's port. */
  PORT: port(8086),
  /** Role `onevote_audit`, owner of schema `audit` only. */
  DATABASE_URL: Type.String({ minLength: 1 }),
  /** One or more comma-separated `nats://[user:password@]host:port` (every node of a cluster). */
  NATS_URL: Type.String({ minLength: 1 }),
  /**
   * The results service's replicas, comma-separated (`http://a:8084,http://b:8084`). audit: a closed
   * election's final head waits until the log holds every ballot results count (the replicas are
   * asked in turn until one answers); gateway: requests go round robin to the healthy ones.
   */
  RESULTS_URL: Type.String({ minLength: 1 }),
  /** 32 random bytes, base64url: encrypts the tree-head signing keys at rest (AES-256-GCM). */
  AUDIT_KEY_ENCRYPTION_KEY: Type.String({ pattern: '^[A-Za-z0-9_-]{43}=?$' }),
  /** The stream of counted ballots the relay fills. */
  BALLOTS_STREAM: Type.String({ default: natsNames.ballotsStream, pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  /** The stream of election lifecycle events ballot fills. */
  ELECTION_EVENTS_STREAM: Type.String({ default: natsNames.electionEventsStream, pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  /** The durable consumers' name (one position per stream, shared by audit's replicas). */
  AUDIT_CONSUMER: Type.String({ default: 'audit', pattern: '^[A-Za-z0-9_-]{1,64}$' }),
  /** Messages recorded together at most (one PostgreSQL transaction per election). */
  AUDIT_BATCH: int(1, 10_000, 500),
  /**
   * After a batch's first message, how long audit waits for more before it records them (ms). Each
   * append transaction has a fixed cost, so at 100 ms a busy election's ballots go in ~10 appends a
   * second instead of ~50; the signed head (every HEAD_INTERVAL_MS) is what bounds the lag anyway.
   */
  AUDIT_LINGER_MS: int(0, 1000, 100),
  /** Unacknowledged messages a stream hands audit at most. */
  AUDIT_MAX_ACK_PENDING: int(1, 1_000_000, 5000),
  /** A message not acknowledged in this long is delivered again. */
  AUDIT_ACK_WAIT_MS: int(1000, 600_000, 30_000),
  /** A log that grew gets a new signed head within this long (API.md: at least every second). */
  HEAD_INTERVAL_MS: int(50, 1000, 500),
  /** How often closed elections are checked for their final head. */
  FINAL_CHECK_MS: int(100, 600_000, 2000),
});

export type Config = Static<typeof configSchema>;
