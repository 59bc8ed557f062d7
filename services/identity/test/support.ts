/** Boots identity apps on real PostgreSQL and Redis, and a small HTTP client that speaks to them. */
import { randomBytes } from 'node:crypto';
import { DpopKey, solveAltcha } from '@onevote/auth/client';
import { type App, bootService, type Sql } from '@onevote/platform';
import { freePort } from '@onevote/stack';
import { freshDatabase, testInfra, uniqueName } from '@onevote/stack/testing';
import type { Config } from '../src/config.ts';
import { identityService } from '../src/service.ts';

export interface Identity {
  app: App;
  base: string;
  /** The operations listener (`/metrics`, `/readyz`). */
  opsUrl: string;
  config: Config;
  sql: Sql;
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
  overrides: Partial<Record<keyof Config, string | number | boolean>> = {},
  options: { primary?: boolean } = { primary: true },
): Promise<Identity> {
  const issuer = `http://127.0.0.1:${shared.issuerPort}`;
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(options.primary ? shared.issuerPort : 0),
    LOG_LEVEL: 'silent',
    DATABASE_URL: shared.databaseUrl,
    REDIS_URL: shared.redisUrl,
    TOKEN_ISSUER: issuer,
    TRUSTED_ISSUERS: JSON.stringify([{ issuer, jwksUrl: `${issuer}/.well-known/jwks.json`, roles: ['voter', 'admin'] }]),
    ALTCHA_HMAC_KEY: 'test-altcha-hmac-key-of-32-chars-or-more',
    // Cheap proof-of-work: the tests check levels and limits, not the work itself.
    ALTCHA_COST: '1',
    ALTCHA_BASE_WORK: '10',
    KEY_ENCRYPTION_KEY: testKeyEncryptionKey,
    EMAIL_HASH_KEY: testEmailHashKey,
    LOGIN_SLOWDOWN_STEP_MS: '5',
    REDIS_PREFIX: shared.redisPrefix,
  };
  for (const [name, value] of Object.entries(overrides)) env[name] = String(value);
  // Booted exactly as main.ts boots it.
  const service = await bootService(identityService, { env });
  return {
    app: service.app,
    base: service.url,
    opsUrl: service.opsUrl,
    config: service.config,
    sql: service.built.sql,
    stop: () => service.close(),
  };
}

export const testKeyEncryptionKey = randomBytes(32).toString('base64url');
export const testEmailHashKey = randomBytes(32).toString('base64url');

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

  /** A fetched challenge (for any purpose unless one is given). */
  async challenge(options: { purpose?: 'register' | 'login' | 'vote'; level?: number } = {}) {
    const query = new URLSearchParams();
    if (options.purpose) query.set('purpose', options.purpose);
    if (options.level !== undefined) query.set('level', String(options.level));
    const answer = await this.call<ChallengeAnswer>('GET', `/v1/auth/challenge${query.size ? `?${query}` : ''}`);
    if (answer.status !== 200) throw new Error(`challenge: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** A solved challenge: the value of an `altcha` field. */
  async altcha(options: { purpose?: 'register' | 'login' | 'vote'; level?: number } = {}): Promise<string> {
    return solveAltcha((await this.challenge(options)) as never);
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
    return this.call<{ voterId: string; code?: string; challengeLevel?: number }>('POST', '/v1/auth/register', {
      body: { email, password, altcha: altcha ?? (await this.altcha({ purpose: 'register' })) },
    });
  }

  async login(email: string, password: string, options: { altcha?: string; dpop?: string | null; otp?: string } = {}) {
    const dpop = options.dpop === undefined ? await this.proof('POST', '/v1/auth/login') : options.dpop;
    return this.call<TokenAnswer>('POST', '/v1/auth/login', {
      body: {
        email,
        password,
        altcha: options.altcha ?? (await this.altcha({ purpose: 'login' })),
        ...(options.otp !== undefined ? { otp: options.otp } : {}),
      },
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

export interface ChallengeAnswer {
  parameters: {
    expiresAt: number;
    keyPrefix: string;
    data: { purpose: string; level: number; expectedAttempts: number; maxAttempts: number };
  };
  signature: string;
}

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  code?: string;
  challengeLevel?: number;
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
