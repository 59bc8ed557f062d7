import { authConfigProperties } from '@onevote/auth';
import { electionConfigProperties } from '@onevote/election-config';
import { port, serviceConfig } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

export const configSchema = serviceConfig({
  PORT: port(8084),
  /** Role `onevote_results`: SELECT on the `votes` schema only. */
  DATABASE_URL: Type.String({ minLength: 1 }),
  /** Only the DPoP `jti` replay cache of admins' live views of `after_close` results uses it. */
  REDIS_URL: Type.String({ minLength: 1 }),
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
  /** Bytes a client may leave unread before it is disconnected (never buffered without bound). */
  MAX_CLIENT_BUFFER_BYTES: Type.Integer({ minimum: 1024, maximum: 64 * 1024 * 1024, default: 512 * 1024 }),
  /** Small: the stream must stay open even when the database is busy. */
  DATABASE_POOL_SIZE: Type.Integer({ minimum: 1, maximum: 100, default: 4 }),
});

export type Config = import('@sinclair/typebox').Static<typeof configSchema>;
