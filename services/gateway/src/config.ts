import { port, serviceConfig } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

/** Comma-separated origins (`http://host:port`, no path) of a service's replicas; empty: not deployed. */
const replicaList = () =>
  Type.String({ default: '', pattern: '^\\s*$|^\\s*https?://[^,\\s/]+/?\\s*(,\\s*https?://[^,\\s/]+/?\\s*)*$' });

export const configSchema = serviceConfig({
  /** The public listener's port. */
  PORT: port(8080),
  /**
   * Base URLs of the services, each a comma-separated list of its replicas
   * (`http://10.0.0.5:8081,http://10.0.0.6:8081`); requests go round robin to the healthy ones.
   * Empty when a service is not deployed.
   */
  IDENTITY_URL: replicaList(),
  /** The ballot service's replicas. */
  BALLOT_URL: replicaList(),
  /** vote-api's replicas. */
  VOTE_API_URL: replicaList(),
  /** The results service's replicas. */
  RESULTS_URL: replicaList(),
  /** The audit service's replicas (the public log). */
  AUDIT_URL: replicaList(),
  /**
   * How often each replica's public port is checked (`GET /`: any answer below 500 is up). A
   * refused or reset connection takes a replica out at once, from a check or a proxied request.
   */
  UPSTREAM_CHECK_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 250 }),
  /** A health check without an answer in this long failed; two in a row take the replica out. */
  UPSTREAM_CHECK_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 60_000, default: 500 }),
  /** The built web UI (`npm run build --workspace web`); absent means API only. */
  WEB_DIST: Type.String({ default: '' }),
  /**
   * Development only: the local mail catcher's directory, whose messages `GET /dev/mail` lists
   * (never when NODE_ENV is `production`). Empty: no `/dev/mail`.
   */
  MAIL_DIR: Type.String({ default: '' }),
  /** Largest voter roll upload passed on (PUT /v1/elections/:id/roll; ballot's ROLL_MAX_BYTES decides too). */
  ROLL_MAX_BYTES: Type.Integer({ minimum: 1024, maximum: 1024 * 1024 * 1024, default: 256 * 1024 * 1024 }),
  /** Result streams (SSE and WebSocket) this gateway holds at once; past it, 503 + Retry-After. */
  MAX_STREAMS: Type.Integer({ minimum: 1, maximum: 1_000_000, default: 20_000 }),
});
