/** Test factories: a ballot app on real PostgreSQL, Redis and NATS, admins and elections. */
import { fileURLToPath } from 'node:url';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { aVoter, type TestVoter, type TokenIssuer } from '@onevote/auth/client';
import { openElectionsBucket } from '@onevote/election-config';
import {
  connectNats,
  createLogger,
  createMetrics,
  createPostgres,
  createRedis,
  migrate,
  type Sql,
} from '@onevote/platform';
import { testInfra } from '@onevote/stack/testing';
import { buildApp } from '../src/app.ts';

export const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
export const voteApiMigrationsDir = fileURLToPath(new URL('../../vote-api/migrations', import.meta.url));

export interface RunningBallot {
  base: string;
  sql: Sql;
  nc: NatsConnection;
  kv: KV;
  scheduler: ReturnType<typeof buildApp>['scheduler'];
  stop(): Promise<void>;
}

/** One ballot replica listening on a random port; several may share a database and bucket. */
export async function startBallot(options: {
  databaseUrl: string;
  bucket: string;
  issuer: TokenIssuer;
  natsUrl?: string;
  tickMs?: number;
}): Promise<RunningBallot> {
  const infra = await testInfra();
  const logger = createLogger('ballot', process.env.TEST_LOG_LEVEL ?? 'silent');
  const sql = createPostgres(options.databaseUrl, { applicationName: 'ballot-test', max: 5 });
  await migrate(sql, { schema: 'ballot', dir: migrationsDir, logger });
  const redis = createRedis(infra.redisUrl, logger);
  const nc = await connectNats(options.natsUrl ?? infra.natsUrl, 'ballot-test', logger);
  const kv = await openElectionsBucket(nc, options.bucket);
  const { app, scheduler } = buildApp({
    config: {
      TRUSTED_PROXIES: '127.0.0.1',
      TRUSTED_ISSUERS: JSON.stringify([options.issuer.trustEntry]),
      TOKEN_AUDIENCE: 'onevote',
      DPOP_IAT_WINDOW_SECONDS: 60,
      SCHEDULER_TICK_MS: options.tickMs ?? 100,
      KV_RECONCILE_MS: 60_000,
    },
    logger,
    metrics: createMetrics('ballot'),
    sql,
    redis,
    nc,
    kv,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    base: `http://127.0.0.1:${port}`,
    sql,
    nc,
    kv,
    scheduler,
    async stop() {
      await app.close();
      await nc.close();
      redis.disconnect();
      await sql.end({ timeout: 1 });
    },
  };
}

/** A client of one ballot replica: sends signed calls as `who` (or anonymously). */
export function client(base: string) {
  return async (
    method: string,
    path: string,
    options: { as?: TestVoter; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const url = `${base}${path}`;
    const auth = options.as ? await options.as.headers(method, url.split('?')[0]!) : {};
    const res = await fetch(url, {
      method,
      headers: {
        ...auth,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answers field by field and assert on them
    let body: any;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    return { status: res.status, body, headers: res.headers, text };
  };
}

export const anAdmin = (issuer: TokenIssuer) => aVoter(issuer, ['admin']);
export const aPlainVoter = (issuer: TokenIssuer) => aVoter(issuer, ['voter']);

/** A valid election definition; override any field. */
export function anElection(overrides: Record<string, unknown> = {}) {
  return {
    title: 'Board election 2026',
    description: 'Choose the new board',
    questions: [
      { title: 'Chair', options: [{ label: 'Ada' }, { label: 'Grace' }, { label: 'Linus' }] },
      {
        title: 'Members',
        minSelections: 1,
        maxSelections: 2,
        options: [{ label: 'Alan' }, { label: 'Barbara' }, { label: 'Ken' }],
      },
    ],
    resultsVisibility: 'live',
    ...overrides,
  };
}
