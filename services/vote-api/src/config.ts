import { altchaConfigProperties, authConfigProperties } from '@onevote/auth';
import { electionConfigProperties } from '@onevote/election-config';
import { port, serviceConfig } from '@onevote/platform';
import { type Static, Type } from '@sinclair/typebox';

const int = (minimum: number, maximum: number, defaultValue: number) =>
  Type.Integer({ minimum, maximum, default: defaultValue });

export const configSchema = serviceConfig({
  PORT: port(8083),
  DATABASE_URL: Type.String({ minLength: 1 }),
  REDIS_URL: Type.String({ minLength: 1 }),
  NATS_URL: Type.String({ minLength: 1 }),
  ...authConfigProperties,
  ...altchaConfigProperties,
  ...electionConfigProperties,

  // Group commit (defaults chosen by measurement: docs/benchmarks.md, "Group-commit settings").
  /** Most ballots in one transaction. */
  COMMIT_MAX_BATCH: int(1, 10_000, 500),
  /** How long the first ballot of a batch waits for company; 0 = only what arrived in the same tick. */
  COMMIT_MAX_WAIT_MS: int(0, 1000, 5),
  /** Transactions in flight at once (each on its own connection). */
  COMMIT_CONCURRENCY: int(1, 64, 4),
  /** Ballots waiting for a transaction; beyond it the answer is 503 at once, nothing recorded. */
  COMMIT_MAX_QUEUE: int(1, 1_000_000, 20_000),
  /** A commit still running after this long makes new ballots answer 503 at once (overload). */
  COMMIT_LATENCY_LIMIT_MS: int(10, 60_000, 1000),
  /** A batch not committed by then is answered 503 (retry with the same Idempotency-Key is safe). */
  COMMIT_TIMEOUT_MS: int(50, 60_000, 900),
  /** Connect timeout to PostgreSQL: an unreachable server must turn into 503 within a second. */
  PG_CONNECT_TIMEOUT_MS: int(50, 30_000, 500),
  /** Server-side statement timeout, so a stuck statement rolls back rather than commits late. */
  PG_STATEMENT_TIMEOUT_MS: int(50, 60_000, 800),
  /** Slot rows per option in votes.tallies (spread so concurrent commits never queue on one row). */
  TALLY_SLOTS: int(1, 1024, 16),
  /** Circuit breaker: consecutive failed commits that open it, and how long it stays open. */
  BREAKER_FAILURES: int(1, 100, 1),
  BREAKER_OPEN_MS: int(50, 60_000, 1000),

  /** Prefix of every Redis key this service writes (tests isolate runs with it). */
  REDIS_KEY_PREFIX: Type.String({ default: 'vote:', pattern: '^[A-Za-z0-9_:.-]*$' }),
  /** Longest wait for a Redis answer on the hot path; past it the hint or signal counts as unknown. */
  REDIS_DEADLINE_MS: int(5, 5000, 100),
  /** How long the Redis "already voted" hint is kept. */
  FAST_PATH_TTL_SECONDS: int(60, 90 * 86_400, 7 * 86_400),

  // Rate limits (requests per window), per client IP, per voter and per DPoP key.
  RATE_WINDOW_SECONDS: int(1, 3600, 10),
  RATE_PER_IP: int(1, 10_000_000, 2000),
  RATE_PER_VOTER: int(1, 100_000, 20),
  RATE_PER_KEY: int(1, 100_000, 40),

  // Risk rules (src/domain/risk.ts); 0 switches a rule off.
  RISK_WINDOW_SECONDS: int(10, 86_400, 3600),
  RISK_KEY_VOTERS_CHALLENGE: int(0, 1_000_000, 3),
  RISK_KEY_VOTERS_DENY: int(0, 1_000_000, 20),
  RISK_SUBNET_VOTERS_CHALLENGE: int(0, 10_000_000, 200),
  RISK_SUBNET_VOTERS_DENY: int(0, 10_000_000, 0),
  RISK_IP_VELOCITY_CHALLENGE: int(0, 10_000_000, 600),
  RISK_IP_VELOCITY_DENY: int(0, 10_000_000, 0),
  /** A token used within this many seconds of its issue is challenged (scripted login-then-vote). */
  RISK_MIN_TOKEN_AGE_SECONDS: int(0, 3600, 0),
});

export type VoteApiConfig = Static<typeof configSchema>;
