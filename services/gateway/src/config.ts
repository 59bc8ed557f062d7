import { port, serviceConfig } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

export const configSchema = serviceConfig({
  /** The public listener's port. */
  PORT: port(8080),
  /** Base URLs of the services; empty when a service is not deployed. */
  IDENTITY_URL: Type.String({ default: '' }),
  /** The ballot service. */
  BALLOT_URL: Type.String({ default: '' }),
  /** vote-api. */
  VOTE_API_URL: Type.String({ default: '' }),
  /** The results service. */
  RESULTS_URL: Type.String({ default: '' }),
  /** The audit service (the public log). */
  AUDIT_URL: Type.String({ default: '' }),
  /** The built web UI (`npm run build --workspace web`); absent means API only. */
  WEB_DIST: Type.String({ default: '' }),
  /**
   * Development only: the local mail catcher's directory, whose messages `GET /dev/mail` lists
   * (never when NODE_ENV is `production`). Empty: no `/dev/mail`.
   */
  MAIL_DIR: Type.String({ default: '' }),
  /** Result streams (SSE and WebSocket) this gateway holds at once; past it, 503 + Retry-After. */
  /** Largest voter roll upload passed on (PUT /v1/elections/:id/roll; ballot's ROLL_MAX_BYTES decides too). */
  ROLL_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: 256 * 1024 * 1024 }),
  MAX_STREAMS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000 }),
});
