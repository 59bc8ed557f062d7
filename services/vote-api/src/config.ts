import { altchaConfigProperties, authConfigProperties } from '@onevote/auth';
import { electionConfigProperties, voteShardProperties } from '@onevote/election-config';
import { port, serviceConfig } from '@onevote/platform';
import { type Static, Type } from '@sinclair/typebox';

const int = (minimum: number, maximum: number, defaultValue: number) =>
  Type.Integer({ minimum, maximum, default: defaultValue });

export const configSchema = serviceConfig({
  /** The public listener's port. */
  PORT: port(8083),
  DATABASE_URL: Type.String({ minLength: 1 }),
  ...voteShardProperties,
  REDIS_URL: Type.String({ minLength: 1 }),
  /** One or more comma-separated `nats://[user:password@]host:port` (every node of a cluster). */
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
  /** How long an opened breaker answers 503 at once before letting a commit try again. */
  BREAKER_OPEN_MS: int(50, 60_000, 1000),

  /** Prefix of every Redis key this service writes (tests isolate runs with it). */
  REDIS_KEY_PREFIX: Type.String({ default: 'vote:', pattern: '^[A-Za-z0-9_:.-]*$' }),
  /** Longest wait for a Redis answer on the hot path; past it the hint or signal counts as unknown. */
  REDIS_DEADLINE_MS: int(5, 5000, 100),
  /** How long the Redis "already voted" hint is kept. */
  FAST_PATH_TTL_SECONDS: int(60, 90 * 86_400, 7 * 86_400),

  // Rate limits (requests per window), per client IP, per voter and per DPoP key.
  /** The window of the three request budgets below. */
  RATE_WINDOW_SECONDS: int(1, 3600, 10),
  /** Vote requests per client address per window. */
  RATE_PER_IP: int(1, 10_000_000, 2000),
  /** Vote requests per voter per window. */
  RATE_PER_VOTER: int(1, 100_000, 20),
  /** Vote requests per DPoP key per window. */
  RATE_PER_KEY: int(1, 100_000, 40),

  // Risk rules (src/domain/risk.ts); 0 switches a rule off. The deny thresholds are sized for
  // crowds: a venue of 2,000 (a stadium's Wi-Fi, a company NAT) behind one address votes in an
  // hour as 2,000 distinct voters of one network and, with a poll every few minutes and a retry
  // or two each, some 100,000 requests from that address. Such a crowd is challenged (the level
  // rising with the network's voters) but never denied; denial is for ten times that.
  /** The window of the risk rules' counts. */
  RISK_WINDOW_SECONDS: int(10, 86_400, 3600),
  /** Distinct voters seen with one DPoP key before a ballot is challenged (0: off). */
  RISK_KEY_VOTERS_CHALLENGE: int(0, 1_000_000, 3),
  /** Distinct voters seen with one DPoP key before a ballot is refused (0: off). */
  RISK_KEY_VOTERS_DENY: int(0, 1_000_000, 20),
  /** Distinct voters of one /24 or /64 in the window: challenged from here, one level more per doubling. */
  RISK_SUBNET_VOTERS_CHALLENGE: int(0, 10_000_000, 200),
  /** Distinct voters of one network in the window before its ballots are refused (10 × a venue). */
  RISK_SUBNET_VOTERS_DENY: int(0, 10_000_000, 20_000),
  /** Vote requests from one address in the risk window before a ballot is challenged (0: off). */
  RISK_IP_VELOCITY_CHALLENGE: int(0, 10_000_000, 600),
  /** Vote requests from one address in the window before they are refused (10 × a venue's hour). */
  RISK_IP_VELOCITY_DENY: int(0, 10_000_000, 1_000_000),
  /**
   * When Redis does not answer in time the risk signals are unknown: `challenge` asks for a
   * solved challenge (bots cannot hide behind a slow Redis); `allow` lets the ballot through.
   */
  RISK_UNKNOWN_SIGNALS: Type.Union([Type.Literal('challenge'), Type.Literal('allow')], { default: 'challenge' }),
  /** A token used within this many seconds of its issue is challenged (scripted login-then-vote). */
  RISK_MIN_TOKEN_AGE_SECONDS: int(0, 3600, 0),

  // Fraud review (docs/fraud-review.md): how many ballots make a cluster an admin is shown.
  /** Ballots from one /24 or /64 in an election that make it a `subnet` cluster. */
  REVIEW_SUBNET_MIN_BALLOTS: int(2, 10_000_000, 20),
  /** Ballots (of distinct voters) signed with one DPoP key that make a `key` cluster. */
  REVIEW_KEY_MIN_BALLOTS: int(2, 10_000_000, 2),
  /** Ballots from one network within one minute that make a `burst` cluster. */
  REVIEW_BURST_MIN_BALLOTS: int(2, 10_000_000, 10),
});

export type VoteApiConfig = Static<typeof configSchema>;
