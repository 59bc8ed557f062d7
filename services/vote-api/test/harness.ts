import { randomBytes, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { NatsConnection } from '@nats-io/transport-node';
import { AltchaChallenges, RedisReplayStore } from '@onevote/auth';
import { aVoter, solveAltcha, type TestVoter, type TokenIssuer } from '@onevote/auth/client';
import {
  type ElectionConfig,
  ElectionConfigCache,
  ElectionConfigPublisher,
  openElectionsBucket,
} from '@onevote/election-config';
import {
  type App,
  connectNats,
  createLogger,
  createMetrics,
  createRedis,
  migrate,
  parseConfig,
  type Sql,
} from '@onevote/platform';
import { testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import type { Redis } from 'ioredis';
import postgres from 'postgres';
import { createVotesDatabase } from '../src/adapters/postgres.ts';
import { buildApp } from '../src/app.ts';
import { configSchema, type VoteApiConfig } from '../src/config.ts';

export interface VoteApiUnderTest {
  base: string;
  app: App;
  config: VoteApiConfig;
  /** A superuser connection to the same database, for checking what was written. */
  admin: postgres.Sql;
  redis: Redis;
  nc: NatsConnection;
  publish(election: ElectionConfig): Promise<void>;
  /** A solved `altcha` field the service accepts. */
  altcha(): Promise<string>;
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
  const logger = createLogger('vote-api', process.env.TEST_LOG_LEVEL ?? 'silent');
  const config = parseConfig('vote-api', configSchema, {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl ?? infra.redisUrl,
    NATS_URL: infra.natsUrl,
    TRUSTED_ISSUERS: JSON.stringify([options.issuer.trustEntry]),
    ALTCHA_HMAC_KEY: randomBytes(32).toString('hex'),
    ALTCHA_COST: '50',
    ELECTIONS_BUCKET: uniqueName('elections'),
    REDIS_KEY_PREFIX: `${uniqueName('vote')}:`,
    PORT: '0',
    RATE_PER_IP: '1000000',
    RATE_PER_VOTER: '1000',
    RATE_PER_KEY: '1000',
    RISK_SUBNET_VOTERS_CHALLENGE: '0',
    RISK_IP_VELOCITY_CHALLENGE: '0',
    ...options.env,
  });
  const sql: Sql = createVotesDatabase({
    url: config.DATABASE_URL,
    max: config.COMMIT_CONCURRENCY + 4,
    connectTimeoutMs: config.PG_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.PG_STATEMENT_TIMEOUT_MS,
  });
  await migrate(sql, {
    schema: 'votes',
    dir: fileURLToPath(new URL('../migrations', import.meta.url)),
    logger,
  });
  const redis = createRedis(config.REDIS_URL, logger);
  const nc = await connectNats(config.NATS_URL, 'vote-api-test', logger);
  const kv = await openElectionsBucket(nc, config.ELECTIONS_BUCKET);
  const elections = await ElectionConfigCache.start(kv, { logger });
  const publisher = new ElectionConfigPublisher(kv);
  const app = buildApp({ config, logger, metrics: createMetrics('vote-api'), sql, redis, nc, elections });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  const admin = postgres(options.adminUrl, { max: 2, onnotice: () => {} });
  const challenges = new AltchaChallenges({
    hmacKey: config.ALTCHA_HMAC_KEY,
    cost: config.ALTCHA_COST,
    keyPrefixLength: config.ALTCHA_KEY_PREFIX_LENGTH,
    expiresInSeconds: config.ALTCHA_EXPIRES_SECONDS,
    replay: new RedisReplayStore(redis, 'unused:'),
  });

  return {
    base: `http://127.0.0.1:${port}`,
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
    altcha: async () => solveAltcha(await challenges.create()),
    async stop() {
      await app.close();
      await elections.stop();
      // Run alone, the file's private NATS may already be stopped (its hook was registered first).
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
      redis.disconnect();
      await sql.end({ timeout: 1 });
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
