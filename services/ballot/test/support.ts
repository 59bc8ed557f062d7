/** Test factories: a ballot app on real PostgreSQL, Redis and NATS, admins and elections. */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { KV } from '@nats-io/kv';
import { aVoter, type TestVoter, type TokenIssuer } from '@onevote/auth/client';
import { bootService } from '@onevote/platform';
import { testInfra, uniqueName } from '@onevote/stack/testing';
import type { buildApp } from '../src/app.ts';
import { ballotService } from '../src/service.ts';

/** The key ballot hashes roll addresses with (identity's tokens carry hashes made with the same key). */
export const testEmailHashKey = randomBytes(32).toString('base64url');

export const migrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));
export const voteApiMigrationsDir = fileURLToPath(new URL('../../vote-api/migrations', import.meta.url));

export interface RunningBallot {
  base: string;
  scheduler: ReturnType<typeof buildApp>['scheduler'];
  rolls: ReturnType<typeof buildApp>['rolls'];
  kv: KV;
  stop(): Promise<void>;
}

/** One ballot replica listening on a random port, booted as main.ts boots it; several may share a database and bucket. */
export async function startBallot(options: {
  databaseUrl: string;
  bucket: string;
  issuer: TokenIssuer;
  natsUrl?: string;
  tickMs?: number;
  eventsStream?: string;
  env?: Record<string, string>;
}): Promise<RunningBallot> {
  const infra = await testInfra();
  const service = await bootService(ballotService, {
    env: {
      PORT: '0',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      DATABASE_URL: options.databaseUrl,
      DATABASE_POOL_MAX: '5',
      REDIS_URL: infra.redisUrl,
      NATS_URL: options.natsUrl ?? infra.natsUrl,
      ELECTIONS_BUCKET: options.bucket,
      ELECTION_EVENTS_STREAM: options.eventsStream ?? uniqueName('EVENTS'),
      TRUSTED_ISSUERS: JSON.stringify([options.issuer.trustEntry]),
      SCHEDULER_TICK_MS: String(options.tickMs ?? 100),
      KV_RECONCILE_MS: '60000',
      EMAIL_HASH_KEY: testEmailHashKey,
      ...options.env,
    },
  });
  return {
    base: service.url,
    scheduler: service.built.scheduler,
    rolls: service.built.rolls,
    kv: service.built.kv,
    stop: () => service.close(),
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
