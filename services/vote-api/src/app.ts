import type { NatsConnection } from '@nats-io/transport-node';
import { AltchaChallenges, createAuthenticator, RedisReplayStore } from '@onevote/auth';
import type { ElectionConfig } from '@onevote/election-config';
import { type App, createServer, type Logger, type Metrics, readiness, type Sql } from '@onevote/platform';
import type { Redis } from 'ioredis';
import { BallotStore } from './adapters/ballot-store.ts';
import { GroupCommitter } from './adapters/group-commit.ts';
import { AttemptCounters } from './adapters/attempt-counters.ts';
import { RateLimits } from './adapters/rate-limits.ts';
import { TallyNotifier } from './adapters/tally-notifier.ts';
import { VotedHints } from './adapters/voted-hints.ts';
import { createCastVote } from './cast-vote.ts';
import type { VoteApiConfig } from './config.ts';
import { registerVoteRoutes } from './http/votes.routes.ts';
import { createMyVote } from './my-vote.ts';
import { createVoteMetrics } from './vote-metrics.ts';

export interface VoteApiDeps {
  config: VoteApiConfig;
  logger: Logger;
  metrics: Metrics;
  /** The votes pool (`createVotesDatabase`). */
  sql: Sql;
  redis: Redis;
  nc: NatsConnection;
  elections: { get(id: string): ElectionConfig | undefined };
}

/** Builds the vote-api server from its clients; `main.ts` listens, tests call it directly. */
export function buildApp(deps: VoteApiDeps): App {
  const { config, logger, redis } = deps;
  const voteMetrics = createVoteMetrics(deps.metrics);
  const prefix = config.REDIS_KEY_PREFIX;
  const replay = new RedisReplayStore(redis, `${prefix}replay:`);

  const store = new BallotStore(deps.sql, { slots: config.TALLY_SLOTS });
  const committer = new GroupCommitter(
    store,
    {
      maxBatch: config.COMMIT_MAX_BATCH,
      maxWaitMs: config.COMMIT_MAX_WAIT_MS,
      concurrency: config.COMMIT_CONCURRENCY,
      maxQueue: config.COMMIT_MAX_QUEUE,
      latencyLimitMs: config.COMMIT_LATENCY_LIMIT_MS,
      timeoutMs: config.COMMIT_TIMEOUT_MS,
      breakerFailures: config.BREAKER_FAILURES,
      breakerOpenMs: config.BREAKER_OPEN_MS,
    },
    { logger, metrics: voteMetrics },
  );
  const hints = new VotedHints(redis, { prefix, ttlSeconds: config.FAST_PATH_TTL_SECONDS });
  const notifier = new TallyNotifier(deps.nc, logger);
  committer.onCommit((result, seats) => {
    notifier.committed(result.inserted);
    hints.record(seats.values());
  });

  const authenticator = createAuthenticator(config, { replay, registry: deps.metrics.registry });
  const castVote = createCastVote({
    elections: deps.elections,
    authenticator,
    altcha: new AltchaChallenges({
      hmacKey: config.ALTCHA_HMAC_KEY,
      cost: config.ALTCHA_COST,
      keyPrefixLength: config.ALTCHA_KEY_PREFIX_LENGTH,
      expiresInSeconds: config.ALTCHA_EXPIRES_SECONDS,
      replay,
    }),
    counters: new AttemptCounters(redis, {
      prefix,
      rateWindowSeconds: config.RATE_WINDOW_SECONDS,
      riskWindowSeconds: config.RISK_WINDOW_SECONDS,
      deadlineMs: config.REDIS_DEADLINE_MS,
    }),
    rateLimits: new RateLimits({
      windowSeconds: config.RATE_WINDOW_SECONDS,
      perIp: config.RATE_PER_IP,
      perVoter: config.RATE_PER_VOTER,
      perKey: config.RATE_PER_KEY,
    }),
    riskThresholds: {
      keyVotersChallenge: config.RISK_KEY_VOTERS_CHALLENGE,
      keyVotersDeny: config.RISK_KEY_VOTERS_DENY,
      subnetVotersChallenge: config.RISK_SUBNET_VOTERS_CHALLENGE,
      subnetVotersDeny: config.RISK_SUBNET_VOTERS_DENY,
      ipVelocityChallenge: config.RISK_IP_VELOCITY_CHALLENGE,
      ipVelocityDeny: config.RISK_IP_VELOCITY_DENY,
      minTokenAgeSeconds: config.RISK_MIN_TOKEN_AGE_SECONDS,
    },
    riskWindowSeconds: config.RISK_WINDOW_SECONDS,
    committer,
    metrics: voteMetrics,
    logger,
  });

  const app = createServer({
    service: 'vote-api',
    logger,
    metrics: deps.metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    readiness: [readiness.postgres(deps.sql), readiness.redis(redis), readiness.nats(deps.nc)],
  });
  registerVoteRoutes(app, { castVote, myVote: createMyVote({ authenticator, store, committer }) });
  // Ballots already queued are committed (and answered) before the clients close.
  app.addHook('onClose', () => committer.stop());
  return app;
}
