import { authConfigProperties } from '@onevote/auth';
import { electionConfigProperties, voteShardProperties } from '@onevote/election-config';
import { port, serviceConfig } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

export const configSchema = serviceConfig({
  /** The public listener's port. */
  PORT: port(8084),
  /** Role `onevote_results`: SELECT on the `votes` schema only. */
  DATABASE_URL: Type.String({ minLength: 1 }),
  ...voteShardProperties,
  /** Only the DPoP `jti` replay cache of admins' live views of `after_close` results uses it. */
  REDIS_URL: Type.String({ minLength: 1 }),
  /** One or more comma-separated `nats://[user:password@]host:port` (every node of a cluster). */
  NATS_URL: Type.String({ minLength: 1 }),
  ...electionConfigProperties,
  ...authConfigProperties,
  /** Safety net: every tracked, not yet final tally is re-read this often, so a lost notification heals (I4). */
  REREAD_INTERVAL_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 2000 }),
  /** Frames per election are at least this far apart (200 ms = at most 5 frames/s). */
  FRAME_INTERVAL_MS: Type.Integer({ minimum: 10, maximum: 10_000, default: 200 }),
  /** SSE `: keepalive` comments and WebSocket pings. */
  KEEPALIVE_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 120_000, default: 15_000 }),
  /** The `retry:` hint sent to SSE clients. */
  SSE_RETRY_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 2000 }),
  /** A closed election is final once no change was seen for this long and a re-read after it agrees. */
  FINAL_SETTLE_MS: Type.Integer({ minimum: 10, maximum: 120_000, default: 2000 }),
  /**
   * Bytes a client may leave unread before it is disconnected (never buffered without bound); at
   * least three frames of its election are always allowed.
   */
  MAX_CLIENT_BUFFER_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 64 * 1024 }),
  /**
   * Result streams this process holds at once; past it, 503 + Retry-After. 10,000 streams were
   * measured at 9.3 KiB each (234 MiB RSS) with a change fanned out to all in 264 ms
   * (docs/benchmarks.md): the default keeps a pod inside that.
   */
  MAX_STREAMS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 10_000 }),
  /**
   * Streams one client address may hold at once; past it, 429 + Retry-After. A tenth of a process:
   * enough for a venue's screens behind one NAT, not enough for one client to fill a process.
   */
  MAX_STREAMS_PER_CLIENT: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1000 }),
  /** A stream ends after about this long (±10%) and the client reconnects: no stream is held for ever. */
  STREAM_MAX_LIFETIME_SECONDS: Type.Integer({ minimum: 10, maximum: 86_400, default: 900 }),
  /** An admin's live view of hidden results re-checks its token this often (revocation, expiry). */
  ADMIN_STREAM_RECHECK_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 5000 }),
  /** Small: the stream must stay open even when the database is busy. */
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
});

export type Config = import('@sinclair/typebox').Static<typeof configSchema>;
