/** Boots identity apps on real PostgreSQL and Redis, and a small HTTP client that speaks to them. */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { DpopKey, solveAltcha } from '@onevote/auth/client';
import { type App, createLogger, createMetrics, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freePort } from '@onevote/stack';
import { freshDatabase, testInfra, uniqueName } from '@onevote/stack/testing';
import { Value } from '@sinclair/typebox/value';
import { Redis } from 'ioredis';
import { buildApp } from '../src/app.ts';
import { type Config, configSchema } from '../src/config.ts';

export interface Identity {
  app: App;
  base: string;
  config: Config;
  sql: Sql;
  redis: Redis;
  stop(): Promise<void>;
}

export interface Shared {
  databaseUrl: string;
  adminUrl: string;
  redisUrl: string;
  issuerPort: number;
  redisPrefix: string;
}

/** A database and a Redis prefix that the replicas of one test group share. */
export async function sharedStores(): Promise<Shared> {
  const db = await freshDatabase();
  return {
    databaseUrl: db.urls.identity!,
    adminUrl: db.adminUrl,
    redisUrl: (await testInfra()).redisUrl,
    issuerPort: await freePort(),
    redisPrefix: `${uniqueName('identity')}:`,
  };
}

/**
 * One identity replica. The first replica of a group listens on `issuerPort` (its JWKS is what every
 * replica trusts, as under the stack); later ones on any port.
 */
export async function startIdentity(
  shared: Shared,
  overrides: Partial<Config> = {},
  options: { primary?: boolean } = { primary: true },
): Promise<Identity> {
  const issuer = `http://127.0.0.1:${shared.issuerPort}`;
  const config = Value.Parse(configSchema, {
    HOST: '127.0.0.1',
    PORT: options.primary ? shared.issuerPort : 0,
    LOG_LEVEL: 'silent',
    DATABASE_URL: shared.databaseUrl,
    REDIS_URL: shared.redisUrl,
    TOKEN_ISSUER: issuer,
    TRUSTED_ISSUERS: JSON.stringify([{ issuer, jwksUrl: `${issuer}/.well-known/jwks.json` }]),
    ALTCHA_HMAC_KEY: 'test-altcha-hmac-key-of-32-chars-or-more',
    ALTCHA_COST: 10,
    KEY_ENCRYPTION_KEY: testKeyEncryptionKey,
    LOGIN_SLOWDOWN_STEP_MS: 5,
    REDIS_PREFIX: shared.redisPrefix,
    ...overrides,
  });
  const logger = createLogger('identity', 'silent');
  const sql = createPostgres(shared.databaseUrl, { applicationName: 'identity-test', max: 4 });
  await migrate(sql, {
    schema: 'identity',
    dir: fileURLToPath(new URL('../migrations', import.meta.url)),
    logger,
  });
  const redis = new Redis(shared.redisUrl);
  const app = await buildApp({ config, logger, metrics: createMetrics('identity'), sql, redis });
  await app.listen({ host: '127.0.0.1', port: config.PORT });
  const { port } = app.server.address() as { port: number };
  return {
    app,
    base: `http://127.0.0.1:${port}`,
    config,
    sql,
    redis,
    stop: async () => {
      await app.close();
      await sql.end({ timeout: 1 });
      redis.disconnect();
    },
  };
}

export const testKeyEncryptionKey = randomBytes(32).toString('base64url');

export interface Answer<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

let ipCounter = 0;

/** A distinct client address per test client (sent as X-Forwarded-For from a trusted proxy). */
export function anIp(): string {
  ipCounter++;
  return `198.51.${(process.pid + ipCounter) % 250}.${(ipCounter % 250) + 1}`;
}

/** A browser as identity sees it: its address and its DPoP key. */
export class Client {
  readonly key: Promise<DpopKey>;

  constructor(
    readonly base: string,
    readonly ip = anIp(),
    key?: DpopKey,
  ) {
    this.key = key ? Promise.resolve(key) : DpopKey.generate();
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: {
        'x-forwarded-for': this.ip,
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as T, headers: res.headers };
  }

  async altcha(): Promise<string> {
    const challenge = await this.call('GET', '/v1/auth/challenge');
    if (challenge.status !== 200) throw new Error(`challenge: ${challenge.status}`);
    return solveAltcha(challenge.body as never);
  }

  async proof(method: string, path: string, accessToken?: string): Promise<string> {
    const key = await this.key;
    return key.proof({
      htm: method,
      htu: `${this.base}${path}`,
      ...(accessToken !== undefined ? { accessToken } : {}),
    });
  }

  async register(email: string, password: string, altcha?: string) {
    return this.call<{ voterId: string; code?: string }>('POST', '/v1/auth/register', {
      body: { email, password, altcha: altcha ?? (await this.altcha()) },
    });
  }

  async login(email: string, password: string, options: { altcha?: string; dpop?: string | null } = {}) {
    const dpop = options.dpop === undefined ? await this.proof('POST', '/v1/auth/login') : options.dpop;
    return this.call<TokenAnswer>('POST', '/v1/auth/login', {
      body: { email, password, altcha: options.altcha ?? (await this.altcha()) },
      headers: dpop === null ? {} : { dpop },
    });
  }

  async refresh(refreshToken: string, dpop?: string) {
    return this.call<TokenAnswer>('POST', '/v1/auth/refresh', {
      body: { refresh_token: refreshToken },
      headers: { dpop: dpop ?? (await this.proof('POST', '/v1/auth/refresh')) },
    });
  }

  async authorized<T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) {
    const key = await this.key;
    return this.call<T>(method, path, {
      ...(body !== undefined ? { body } : {}),
      headers: await key.headers(method, `${this.base}${path}`, token),
    });
  }
}

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  code?: string;
}

export function anEmail(): string {
  return `${uniqueName('voter')}@example.org`;
}

export const aPassword = () => `pw-${randomBytes(8).toString('hex')}`;

/** A registered voter and a client that can log in as them. */
export async function aRegisteredVoter(base: string) {
  const client = new Client(base);
  const email = anEmail();
  const password = aPassword();
  const registered = await client.register(email, password);
  if (registered.status !== 201) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  return { client, email, password, voterId: registered.body.voterId };
}

export function decodeJwt(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString()),
  };
}
