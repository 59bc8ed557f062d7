import { randomBytes, randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { createAltchaChallenges } from '@onevote/auth';
import { aVoter, solveAltcha, type TestVoter, type TokenIssuer } from '@onevote/auth/client';
import { type ElectionConfig, ElectionConfigPublisher, openElectionsBucket } from '@onevote/election-config';
import { type App, bootService, connectNats, createLogger, createRedis, type RedisClient } from '@onevote/platform';
import { testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import postgres from 'postgres';
import type { VoteApiConfig } from '../src/config.ts';
import { voteApiService } from '../src/service.ts';

export interface VoteApiUnderTest {
  base: string;
  /** The operations listener (`/metrics`, `/readyz`). */
  opsUrl: string;
  app: App;
  config: VoteApiConfig;
  /** A superuser connection to the same database, for checking what was written. */
  admin: postgres.Sql;
  redis: RedisClient;
  nc: NatsConnection;
  publish(election: ElectionConfig): Promise<void>;
  /** A solved `altcha` field the service accepts (a vote challenge of `level`, 0 by default). */
  altcha(options?: { level?: number; purpose?: 'register' | 'login' | 'vote' }): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Boots vote-api in this process with real PostgreSQL (the given database, migrated), Redis and
 * NATS, on a random port, trusting `issuer`. Settings not given are the service defaults, except
 * that rate limits and the crowd rules are wide open unless a test sets them.
 */
export async function startVoteApi(options: {
  issuer: TokenIssuer;
  databaseUrl: string;
  adminUrl: string;
  redisUrl?: string;
  env?: Record<string, string>;
}): Promise<VoteApiUnderTest> {
  const infra = await testInfra();
  const logger = createLogger('vote-api-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const env: Record<string, string> = {
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? infra.redisUrl,
    NATS_URL: infra.natsUrl,
    TRUSTED_ISSUERS: JSON.stringify([options.issuer.trustEntry]),
    ALTCHA_HMAC_KEY: randomBytes(32).toString('hex'),
    ALTCHA_COST: '1',
    ALTCHA_BASE_WORK: '20',
    ELECTIONS_BUCKET: uniqueName('elections'),
    REDIS_KEY_PREFIX: `${uniqueName('vote')}:`,
    PORT: '0',
    RATE_PER_IP: '1000000',
    RATE_PER_VOTER: '1000',
    RATE_PER_KEY: '1000',
    RISK_SUBNET_VOTERS_CHALLENGE: '0',
    RISK_SUBNET_VOTERS_DENY: '0',
    RISK_IP_VELOCITY_CHALLENGE: '0',
    RISK_IP_VELOCITY_DENY: '0',
    // These tests assert what the risk rules decide; on a CI machine running many suites at once a
    // shared Redis can be slower than production's 100 ms, which would turn the signals unknown.
    // The deadline itself is tested in attempt-counters.test.ts and deadline.test.ts.
    REDIS_DEADLINE_MS: '1000',
    ...options.env,
  };
  // The test's own clients, for arranging and checking; it creates the bucket (ballot would) first.
  const nc = await connectNats(env.NATS_URL!, 'vote-api-test', logger);
  const publisher = new ElectionConfigPublisher(await openElectionsBucket(nc, env.ELECTIONS_BUCKET!, { create: true }));
  // Booted exactly as main.ts boots it.
  const service = await bootService(voteApiService, { env });
  const { config, app } = service;
  const elections = service.built.elections;
  const redis = createRedis(config.REDIS_URL, logger);
  const admin = postgres(options.adminUrl, { max: 2, onnotice: () => {} });
  // Issues challenges as identity would (same key); spending them is vote-api's business.
  const challenges = createAltchaChallenges(config, redis);

  return {
    base: service.url,
    opsUrl: service.opsUrl,
    app,
    config,
    admin,
    redis,
    nc,
    async publish(election) {
      await publisher.publish(election);
      await waitFor(`election ${election.id} r${election.revision} in the cache`, () => {
        const cached = elections.get(election.id);
        return cached?.revision === election.revision;
      });
    },
    altcha: async ({ level = 0, purpose = 'vote' } = {}) => solveAltcha(await challenges.create({ purpose, level })),
    async stop() {
      await service.close();
      // Run alone, the file's private NATS may already be stopped (its hook was registered first).
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
      redis.disconnect();
      await admin.end({ timeout: 1 });
    },
  };
}

/** An open election: question 1 picks exactly one of three, question 2 one or two of three. */
export function anElection(overrides: Partial<ElectionConfig> = {}): ElectionConfig {
  const question = (title: string, min: number, max: number) => ({
    id: randomUUID(),
    title,
    minSelections: min,
    maxSelections: max,
    options: ['a', 'b', 'c'].map((label) => ({ id: randomUUID(), label })),
  });
  return {
    id: randomUUID(),
    title: 'Song of the night',
    description: '',
    status: 'open',
    questions: [question('Best song', 1, 1), question('Also liked', 1, 2)],
    opensAt: null,
    closesAt: null,
    resultsVisibility: 'live',
    requireChallenge: false,
    eligibility: 'open',
    createdAt: new Date().toISOString(),
    revision: 1,
    ...overrides,
  };
}

/** A valid ballot choosing option `n` (mod 3) in every question. */
export function aBallot(election: ElectionConfig, n = 0) {
  return election.questions.map((q) => ({ questionId: q.id, optionIds: [q.options[n % 3]!.id] }));
}

export interface VoteAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POSTs a ballot as `voter` with a fresh DPoP proof. */
export async function vote(
  api: { base: string },
  voter: Pick<TestVoter, 'headers'>,
  electionId: string,
  body: { selections: unknown; altcha?: string },
  idempotencyKey: string | undefined = randomUUID(),
  timeoutMs = 30_000,
): Promise<VoteAnswer> {
  const url = `${api.base}/v1/elections/${electionId}/votes`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(await voter.headers('POST', url)),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

/**
 * Votes as a client following the API does, for tests about what is counted rather than about load
 * shedding or risk rules: a 503 (the commit queue shedding load, as on a busy test machine) is sent
 * again, and a 403 challenge_required (a Redis slower than its deadline makes the risk signals
 * unknown) is answered with a solved challenge. Always with the same Idempotency-Key: a resend can
 * never count twice.
 */
export async function voteUntilAnswered(
  api: Pick<VoteApiUnderTest, 'base' | 'altcha'>,
  voter: Pick<TestVoter, 'headers'>,
  electionId: string,
  body: { selections: unknown },
): Promise<VoteAnswer> {
  const idempotencyKey = randomUUID();
  let altcha: string | undefined;
  for (let attempt = 1; ; attempt++) {
    const answer = await vote(api, voter, electionId, { ...body, ...(altcha ? { altcha } : {}) }, idempotencyKey);
    if (attempt === 50) return answer;
    if (answer.status === 403 && answer.body.code === 'challenge_required') {
      altcha = await api.altcha({ level: Number(answer.body.challengeLevel ?? 0) });
      continue;
    }
    if (answer.status !== 503) return answer;
    const retryAfter = Number(answer.headers.get('retry-after') ?? 1);
    await new Promise((r) => setTimeout(r, Math.min(retryAfter * 1000, 200))); // the client's back-off
  }
}

export async function myVote(api: { base: string }, voter: TestVoter, electionId: string) {
  const url = `${api.base}/v1/elections/${electionId}/votes/me`;
  const res = await fetch(url, { headers: await voter.headers('GET', url) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** What PostgreSQL holds for an election: ballots, summed tallies per option, summed totals. */
export async function stored(admin: postgres.Sql, electionId: string) {
  const [ballots] = await admin`select count(*)::int as n from votes.ballots where election_id = ${electionId}`;
  const tallies = await admin<{ option_id: string; votes: number }[]>`
    select option_id, sum(votes)::int as votes from votes.tallies
    where election_id = ${electionId} group by option_id`;
  const [totals] = await admin`
    select coalesce(sum(ballots), 0)::int as n from votes.ballot_totals where election_id = ${electionId}`;
  return {
    ballots: ballots!.n as number,
    totals: totals!.n as number,
    tallies: Object.fromEntries(tallies.map((t) => [t.option_id, t.votes])) as Record<string, number>,
  };
}

export { aVoter };
