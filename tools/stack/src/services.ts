import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManagedProcess } from './process.ts';
import type { StackSecrets } from './secrets.ts';
import { GiveUp, waitFor } from './wait.ts';

export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export type ServiceName = 'identity' | 'ballot' | 'vote-api' | 'results' | 'relay' | 'audit' | 'gateway';

export interface ServiceDef {
  name: ServiceName;
  /** Default port under `npm start`; the gateway's is `PORT`. */
  port: number;
  /** Secrets this service is given; no service sees the others'. */
  secrets: (keyof StackSecrets)[];
}

// Start order matters only for the seed step; every service waits for its own dependencies.
export const serviceDefs: ServiceDef[] = [
  {
    name: 'identity',
    port: 8081,
    secrets: ['ALTCHA_HMAC_KEY', 'KEY_ENCRYPTION_KEY', 'EMAIL_HASH_KEY'],
  },
  { name: 'ballot', port: 8082, secrets: ['EMAIL_HASH_KEY'] },
  { name: 'vote-api', port: 8083, secrets: ['ALTCHA_HMAC_KEY'] },
  { name: 'results', port: 8084, secrets: [] },
  // A worker: no public port, only its operations listener (9085).
  { name: 'relay', port: 8085, secrets: [] },
  { name: 'audit', port: 8086, secrets: ['AUDIT_KEY_ENCRYPTION_KEY'] },
  { name: 'gateway', port: 8080, secrets: [] },
];

export function serviceDir(name: ServiceName) {
  return join(repoRoot, 'services', name);
}

/** Services present in this checkout (each issue adds one). */
export function availableServices(): ServiceDef[] {
  return serviceDefs.filter((d) => existsSync(join(serviceDir(d.name), 'src', 'main.ts')));
}

/** A `TRUSTED_ISSUERS` entry (packages/auth `TrustedIssuer`). */
export interface ExtraIssuer {
  issuer: string;
  jwksUrl: string;
  roles: ('voter' | 'admin')[];
  voterPrefix: string;
}

export interface StackContext {
  /** Each service's (first replica's) port. */
  ports: Record<ServiceName, number>;
  opsPorts: Record<ServiceName, number>;
  /** Every replica's port and operations port, when a service runs more than once (`[0]` as above). */
  replicaPorts?: Partial<Record<ServiceName, number[]>>;
  replicaOpsPorts?: Partial<Record<ServiceName, number[]>>;
  databaseUrls: Record<string, string>;
  /** Each vote shard group's `databaseUrls` (index = shard group); absent = one group. */
  shardDatabaseUrls?: Record<string, string>[];
  redisUrl: string;
  natsUrl: string;
  /** Each service's own NATS user, when the stack runs NATS itself. */
  natsServiceUrls?: Partial<Record<ServiceName, string>>;
  /** `NATS_REPLICAS` for every service that knows it, when the stack runs a NATS cluster (3). */
  natsReplicas?: number;
  /** The mail catcher's SMTP (or the `SMTP_URL` given instead). */
  smtpUrl: string;
  /** Where the mail catcher keeps its messages; absent without a catcher. */
  mailDir?: string;
  secrets: StackSecrets;
  logLevel: string;
  /** Extra variables for every service (tests, bench mode). */
  extraEnv?: NodeJS.ProcessEnv;
  /** Issuers trusted besides identity (the bench's token issuer in bench mode). */
  extraIssuers?: ExtraIssuer[];
  /** The variables each service's config schema knows (`configVariables()`), passed through when set. */
  variables?: Partial<Record<ServiceName, string[]>>;
  /** The supervisor's own environment, where those are read from. */
  userEnv?: NodeJS.ProcessEnv;
}

const tsx = ['--import', 'tsx'];

/** The environment a service process gets from the stack. */
export function serviceEnv(def: ServiceDef, ctx: StackContext): NodeJS.ProcessEnv {
  const url = (name: ServiceName) => `http://127.0.0.1:${ctx.ports[name]}`;
  // identity is the issuer when it is deployed; the bench adds its own. The issuer is a name, the
  // same for every replica (the first one's URL); its keys are fetched through the gateway when
  // identity has replicas, so that losing one of them does not lose the keys (TRUSTED_ISSUERS has
  // one JWKS URL per issuer: a load-balanced address, as in production).
  const issuer = url('identity');
  const jwksBase = (ctx.replicaPorts?.identity?.length ?? 1) > 1 && ctx.ports.gateway ? url('gateway') : issuer;
  const issuers = [
    ...(ctx.ports.identity
      ? [{ issuer, jwksUrl: `${jwksBase}/.well-known/jwks.json`, roles: ['voter', 'admin'], voterPrefix: '' }]
      : []),
    ...(ctx.extraIssuers ?? []),
  ];
  const knows = (variable: string) => ctx.variables?.[def.name]?.includes(variable) ?? false;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: process.env.NODE_ENV ?? 'development',
    HOST: '127.0.0.1',
    PORT: String(ctx.ports[def.name]),
    OPS_PORT: String(ctx.opsPorts[def.name]),
    LOG_LEVEL: ctx.logLevel,
    REDIS_URL: ctx.redisUrl,
    // With the stack's own NATS, a service gets its own user (or none: identity and the gateway do
    // not use NATS); with a NATS of yours, NATS_URL as given.
    ...(ctx.natsServiceUrls
      ? ctx.natsServiceUrls[def.name]
        ? { NATS_URL: ctx.natsServiceUrls[def.name] }
        : {}
      : { NATS_URL: ctx.natsUrl }),
    // Mail: to every service whose config schema knows SMTP_URL, and the catcher's directory to the
    // one that lists it (the gateway's MAIL_DIR). A SMTP_URL of yours replaced the catcher in startInfra.
    ...(knows('SMTP_URL') ? { SMTP_URL: ctx.smtpUrl } : {}),
    // On the stack's NATS cluster, every stream and KV bucket at replicas 3 (one node may die).
    ...(knows('NATS_REPLICAS') && ctx.natsReplicas ? { NATS_REPLICAS: String(ctx.natsReplicas) } : {}),
    ...(knows('MAIL_DIR') && ctx.mailDir ? { MAIL_DIR: ctx.mailDir } : {}),
    // Passkeys: browsers refuse an IP address as a WebAuthn RP id, so the stack's passkeys are made
    // at http://localhost:<gateway port> (a secure context, like 127.0.0.1); the RP id is localhost.
    ...(knows('WEBAUTHN_ORIGINS') && ctx.ports.gateway
      ? { WEBAUTHN_RP_ID: 'localhost', WEBAUTHN_ORIGINS: `http://localhost:${ctx.ports.gateway}` }
      : {}),
    // The admin operations view reads the other services' own metrics (ballot's OPERATIONS_METRICS_URLS).
    ...(knows('OPERATIONS_METRICS_URLS') ? { OPERATIONS_METRICS_URLS: operationsMetricsUrls(ctx) } : {}),
    TOKEN_ISSUER: issuer,
    TRUSTED_ISSUERS: JSON.stringify(issuers),
    WEB_DIST: join(repoRoot, 'web', 'dist'),
    ONEVOTE_SUPERVISOR_PID: String(process.pid),
  };
  // Every replica, comma-separated: the gateway balances over them, audit asks results in turn.
  for (const name of Object.keys(ctx.ports) as ServiceName[]) {
    if (name !== 'gateway') env[`${name.toUpperCase().replace('-', '_')}_URL`] = replicaUrls(ctx, name);
  }
  const databaseUrl = ctx.databaseUrls[def.name];
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  // The service's own role on every vote shard group, in group order (interfaces of issue 18).
  if (ctx.shardDatabaseUrls && knows('VOTE_SHARD_URLS') && databaseUrl) {
    env.VOTE_SHARD_URLS = ctx.shardDatabaseUrls.map((urls) => urls[def.name]).join(' ');
  }
  for (const key of def.secrets) env[key] = ctx.secrets[key];
  // Every other setting the service knows comes from the user's environment when set there:
  // `NAME` for every service that knows it, `<SERVICE>__NAME` for one (VOTE_API__RATE_PER_IP).
  const managed = new Set(Object.keys(env));
  const user = ctx.userEnv ?? {};
  const prefix = `${def.name.toUpperCase().replace('-', '_')}__`;
  for (const key of ctx.variables?.[def.name] ?? []) {
    if (managed.has(key)) continue;
    const value = user[`${prefix}${key}`] ?? user[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  return { ...env, ...ctx.extraEnv };
}

/** Every replica's base URL of a service, comma-separated. */
function replicaUrls(ctx: StackContext, name: ServiceName): string {
  return (ctx.replicaPorts?.[name] ?? [ctx.ports[name]]).map((port) => `http://127.0.0.1:${port}`).join(',');
}

/** `service=url` of the operations listeners the operations view scrapes (those deployed, every replica). */
function operationsMetricsUrls(ctx: StackContext): string {
  return (['vote-api', 'results', 'relay', 'audit'] as const)
    .filter((name) => ctx.opsPorts[name])
    .flatMap((name) => (ctx.replicaOpsPorts?.[name] ?? [ctx.opsPorts[name]]).map((port) => `${name}=http://127.0.0.1:${port}`))
    .join(',');
}

export function spawnService(
  def: ServiceDef,
  env: NodeJS.ProcessEnv,
  logFile?: string,
  nodeArgs: string[] = [],
  /** The process's name in logs and errors (`vote-api-2` for a second replica). */
  name: string = def.name,
): ManagedProcess {
  return new ManagedProcess({
    name,
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

/** Waits until a service's operations listener (`opsPort`) answers `/readyz` with 200. */
export async function waitReady(name: string, opsPort: number, proc?: ManagedProcess, timeoutMs = 60_000) {
  const port = opsPort;
  await waitFor(
    `${name} /readyz on port ${port}`,
    async () => {
      if (proc && !proc.running) {
        const tail = proc.logTail();
        throw new GiveUp(`${name} exited with code ${await proc.exited}${tail ? `; the end of its log:\n${tail}` : '; see its log'}`);
      }
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2000) });
      return res.status === 200;
    },
    { timeoutMs, intervalMs: 200 },
  );
}
