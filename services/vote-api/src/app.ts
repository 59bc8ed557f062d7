import type { NatsConnection } from '@nats-io/transport-node';
import { createAltchaChallenges, createAuthenticator, RedisReplayStore } from '@onevote/auth';
import type { ElectionConfig } from '@onevote/election-config';
import { type App, createServer, type Logger, type Metrics, type RedisClient, type Sql } from '@onevote/platform';
import { BallotStore } from './adapters/ballot-store.ts';
import { GroupCommitter } from './group-commit/group-commit.ts';
import { AttemptCounters } from './adapters/attempt-counters.ts';
import { RollMembership } from './adapters/roll-membership.ts';
import { RateLimits } from './domain/rate-limits.ts';
import { TallyNotifier } from './adapters/tally-notifier.ts';
import { VotedHints } from './adapters/voted-hints.ts';
import { createCastVote } from './use-cases/cast-vote.ts';
import type { VoteApiConfig } from './config.ts';
import { registerVoteRoutes } from './http/votes.routes.ts';
import { createMyVote } from './use-cases/my-vote.ts';
import { ReviewRepository } from './adapters/review.repository.ts';
import { ShardedReview } from './adapters/sharded-review.ts';
import { type VoteShard, VoteShards } from './adapters/vote-shards.ts';
import { registerReviewRoutes } from './http/review.routes.ts';
import { createReview } from './use-cases/review.ts';
import { createVoteMetrics } from './metrics.ts';

export interface VoteApiDeps {
  config: VoteApiConfig;
  logger: Logger;
  metrics: Metrics;
  /**
   * The votes pool of every vote shard group, index = group (synchronous commit, server-side
   * statement timeout: see service.ts).
   */
  shards: Sql[];
  redis: RedisClient;
  nc: NatsConnection;
  elections: { get(id: string): ElectionConfig | undefined };
}

/** Builds the vote-api server from its clients; `main.ts` listens, tests call it directly. */
export function buildApp(deps: VoteApiDeps): App {
  const { config, logger, redis } = deps;
  const voteMetrics = createVoteMetrics(deps.metrics);
  const prefix = config.REDIS_KEY_PREFIX;
  const replay = new RedisReplayStore(redis, `${prefix}replay:`);

  const hints = new VotedHints(redis, { prefix, ttlSeconds: config.FAST_PATH_TTL_SECONDS });
  const notifier = new TallyNotifier(deps.nc, logger);
  // Per vote shard group: its store, group-commit queue and breaker, so a group that is down or slow
  // holds up only its own voters. Group 0 makes each election's review salt (BallotStore).
  const shards: VoteShard[] = [];
  for (const [index, sql] of deps.shards.entries()) {
    const store = new BallotStore(sql, { slots: config.TALLY_SLOTS, ...(index > 0 ? { canonicalSalts: shards[0]!.store } : {}) });
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
        shard: index,
      },
      { logger, metrics: voteMetrics },
    );
    committer.onCommit((result, seats) => {
      notifier.committed(result.inserted);
      hints.record(seats.values());
    });
    shards.push({ index, store, committer, review: new ReviewRepository(sql) });
  }
  const voteShards = new VoteShards(shards, logger);

  const authenticator = createAuthenticator(config, { replay, registry: deps.metrics.registry });
  const castVote = createCastVote({
    elections: deps.elections,
    authenticator,
    // Spends solutions in the store identity uses too (ALTCHA_SPENT_PREFIX): one solution, one use.
    altcha: createAltchaChallenges(config, redis),
    counters: new AttemptCounters(redis, {
      prefix,
      rateWindowSeconds: config.RATE_WINDOW_SECONDS,
      riskWindowSeconds: config.RISK_WINDOW_SECONDS,
      deadlineMs: config.REDIS_DEADLINE_MS,
    }),
    roll: new RollMembership(redis, config.REDIS_DEADLINE_MS),
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
      unknownSignals: config.RISK_UNKNOWN_SIGNALS,
      maxChallengeLevel: config.ALTCHA_MAX_LEVEL,
    },
    riskWindowSeconds: config.RISK_WINDOW_SECONDS,
    shards: voteShards,
    metrics: voteMetrics,
    logger,
  });

  const app = createServer({
    service: 'vote-api',
    logger,
    metrics: deps.metrics,
    trustedProxies: config.TRUSTED_PROXIES,
    originSecret: config.ORIGIN_SECRET,
  });
  registerVoteRoutes(app, { castVote, myVote: createMyVote({ authenticator, shards: voteShards, elections: deps.elections }) });
  const review = createReview({
    elections: deps.elections,
    // Every group of the election (an unknown one: group 0; the use case answers 404 for it anyway).
    repository: new ShardedReview((id) => voteShards.forElection(deps.elections.get(id) ?? { id }).map((s) => s.review)),
    thresholds: {
      subnetMin: config.REVIEW_SUBNET_MIN_BALLOTS,
      keyMin: config.REVIEW_KEY_MIN_BALLOTS,
      burstMin: config.REVIEW_BURST_MIN_BALLOTS,
    },
    voided: (electionId, ballots) => notifier.changed(electionId, ballots),
    logger,
  });
  registerReviewRoutes(app, { review, authenticator });
  // Ballots already queued are committed (and answered) before the clients close.
  app.addHook('onClose', async () => {
    await Promise.all(shards.map((s) => s.committer.stop()));
  });
  return app;
}
