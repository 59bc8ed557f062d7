import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from './process.ts';
import type { StackSecrets } from './secrets.ts';
import { GiveUp, waitFor } from './wait.ts';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export type ServiceName = 'identity' | 'ballot' | 'vote-api' | 'results' | 'gateway';

export interface ServiceDef {
  name: ServiceName;
  /** Default port under `npm start`; the gateway's is `PORT`. */
  port: number;
  /** Secrets this service is given; no service sees the others'. */
  secrets: (keyof StackSecrets)[];
  /** Variables passed through from the supervisor's own environment when set. */
  passEnv?: string[];
}

// Start order matters only for the seed step; every service waits for its own dependencies.
export const serviceDefs: ServiceDef[] = [
  {
    name: 'identity',
    port: 8081,
    secrets: ['ALTCHA_HMAC_KEY', 'KEY_ENCRYPTION_KEY'],
    passEnv: ['ONEVOTE_ADMIN_EMAIL', 'ONEVOTE_ADMIN_PASSWORD'],
  },
  { name: 'ballot', port: 8082, secrets: [] },
  { name: 'vote-api', port: 8083, secrets: ['ALTCHA_HMAC_KEY'] },
  { name: 'results', port: 8084, secrets: [] },
  { name: 'gateway', port: 8080, secrets: [] },
];

export function serviceDir(name: ServiceName) {
  return join(repoRoot, 'services', name);
}

/** Services present in this checkout (each issue adds one). */
export function availableServices(): ServiceDef[] {
  return serviceDefs.filter((d) => existsSync(join(serviceDir(d.name), 'src', 'main.ts')));
}

export interface StackContext {
  ports: Record<ServiceName, number>;
  databaseUrls: Record<string, string>;
  redisUrl: string;
  natsUrl: string;
  secrets: StackSecrets;
  logLevel: string;
  /** Extra variables for every service (tests, bench mode). */
  extraEnv?: NodeJS.ProcessEnv;
  /** Issuers trusted besides identity (the bench's token issuer in bench mode). */
  extraIssuers?: { issuer: string; jwksUrl: string }[];
}

const tsx = ['--import', 'tsx'];

/** The environment a service process gets from the stack. */
export function serviceEnv(def: ServiceDef, ctx: StackContext): NodeJS.ProcessEnv {
  const url = (name: ServiceName) => `http://127.0.0.1:${ctx.ports[name]}`;
  // identity is the issuer when it is deployed; the bench adds its own.
  const issuer = url('identity');
  const issuers = [
    ...(ctx.ports.identity ? [{ issuer, jwksUrl: `${issuer}/.well-known/jwks.json` }] : []),
    ...(ctx.extraIssuers ?? []),
  ];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    HOST: '127.0.0.1',
    PORT: String(ctx.ports[def.name]),
    LOG_LEVEL: ctx.logLevel,
    REDIS_URL: ctx.redisUrl,
    NATS_URL: ctx.natsUrl,
    TOKEN_ISSUER: issuer,
    TRUSTED_ISSUERS: JSON.stringify(issuers),
    WEB_DIST: join(repoRoot, 'web', 'dist'),
    ONEVOTE_SUPERVISOR_PID: String(process.pid),
  };
  for (const name of Object.keys(ctx.ports) as ServiceName[]) {
    if (name !== 'gateway') env[`${name.toUpperCase().replace('-', '_')}_URL`] = url(name);
  }
  const databaseUrl = ctx.databaseUrls[def.name];
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  for (const key of def.secrets) env[key] = ctx.secrets[key];
  for (const key of def.passEnv ?? []) if (process.env[key]) env[key] = process.env[key];
  return { ...env, ...ctx.extraEnv };
}

export function spawnService(
  def: ServiceDef,
  env: NodeJS.ProcessEnv,
  logFile?: string,
  nodeArgs: string[] = [],
): ManagedProcess {
  return new ManagedProcess({
    name: def.name,
    command: process.execPath,
    args: [...nodeArgs, ...tsx, join(serviceDir(def.name), 'src', 'main.ts')],
    env,
    cwd: repoRoot,
    ...(logFile ? { logFile } : {}),
  });
}

/** Runs `services/<name>/src/cli.ts <args>` to completion (migrate, seed, grant-admin...). */
export async function runServiceCli(def: ServiceDef, env: NodeJS.ProcessEnv, args: string[]): Promise<void> {
  const cli = join(serviceDir(def.name), 'src', 'cli.ts');
  if (!existsSync(cli)) return;
  const proc = new ManagedProcess({
    name: `${def.name} ${args[0]}`,
    command: process.execPath,
    args: [...tsx, cli, ...args],
    env,
    cwd: repoRoot,
  });
  const code = await proc.exited;
  if (code !== 0) throw new Error(`${def.name} ${args.join(' ')} exited with ${code}`);
}

export async function waitReady(name: string, port: number, proc?: ManagedProcess, timeoutMs = 60_000) {
  await waitFor(
    `${name} /readyz on port ${port}`,
    async () => {
      if (proc && !proc.running) throw new GiveUp(`${name} exited with code ${await proc.exited}; see its log`);
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
