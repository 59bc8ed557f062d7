import { mkdirSync } from 'node:fs';
import { natsNames } from '@onevote/contracts';
import { isDatabaseUnavailable } from '@onevote/platform/problem';
import { join } from 'node:path';
import { configVariables } from './config-reference.ts';
import { type Infra, type InfraOptions, startInfra } from './infra.ts';
import { type Monitoring, type MonitoringOptions, startMonitoring } from './monitoring.ts';
import { freePort, portOr } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { databaseRoles, provisionDatabase } from './provision.ts';
import { loadOrCreateSecrets } from './secrets.ts';
import {
  availableServices,
  type ExtraIssuer,
  runServiceCli,
  type ServiceDef,
  type ServiceName,
  type StackContext,
  serviceEnv,
  spawnService,
  waitReady,
} from './services.ts';

export interface StackOptions {
  /** Data of private servers, logs and dev secrets go here (`.data/`, or a temp dir in tests). */
  dir: string;
  /**
   * Server families of the stack's own infra in their cluster form (`npm start -- --cluster`:
   * `clusterTopology`); with `infra`, that infra's.
   */
  cluster?: InfraOptions['cluster'];
  env?: NodeJS.ProcessEnv;
  /** `fixed`: the documented ports (8080-8084, `PORT` for the gateway) when free; `random`: any free ports. */
  portMode: 'fixed' | 'random';
  database?: string;
  logLevel?: string;
  /** Service output: to one file per service under `dir/logs`, or to this process's stdout. */
  logTo: 'files' | 'stdout';
  /** Reuse already running infrastructure instead of starting it. */
  infra?: Infra;
  extraEnv?: NodeJS.ProcessEnv;
  extraIssuers?: ExtraIssuer[];
  /** Node options for every service process (`--cpu-prof` is not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  seed?: boolean;
  /** Services not started (the bench's `--without relay,audit` measures what they cost). */
  omit?: ServiceName[];
  /** Also start Prometheus and the exporters (`npm start -- --monitoring`; monitoring.ts). */
  monitoring?: MonitoringOptions;
  /** Vote shard groups of the stack's own infra (`InfraOptions.postgresShards`); with `infra`, its own. */
  postgresShards?: number;
  /**
   * Processes per service (default 1; `clusterReplicas` on the cluster topology). Each replica has
   * its own port and operations port; the gateway balances over them. The relay and the gateway
   * run once: a logical replication slot has one reader, and the gateway is the one public port.
   */
  replicas?: Partial<Record<ServiceName, number>>;
}

/** The cluster topology's servers (issue 18): Redis Cluster, a 3-node NATS cluster, two HA PostgreSQL shard groups. */
export const clusterTopology: NonNullable<InfraOptions['cluster']> = { redis: true, nats: true, postgres: true };

/** The cluster topology's replicas (issue 18): two of every service behind the gateway. */
export const clusterReplicas: Partial<Record<ServiceName, number>> = {
  'vote-api': 2,
  results: 2,
  identity: 2,
  ballot: 2,
  audit: 2,
};

export interface RunningService {
  def: ServiceDef;
  port: number;
  url: string;
  /** The operations listener: `/healthz`, `/readyz`, `/metrics` (never routed publicly). */
  opsPort: number;
  opsUrl: string;
  process: ManagedProcess;
  env: NodeJS.ProcessEnv;
  /** Which replica of its service (0 for the first, the one in `Stack.services`). */
  replica: number;
}

export interface Stack {
  infra: Infra;
  /**
   * The seeded admin: ONEVOTE_ADMIN_EMAIL / ONEVOTE_ADMIN_PASSWORD when given, else a password made
   * for this data directory (`generatedNow`: made by this start, so it may be shown once).
   */
  admin: { email: string; password: string; generatedNow: boolean };
  /** The database the services use (provisioned by the stack). */
  database: string;
  context: StackContext;
  /** The first replica of each service. */
  services: Map<ServiceName, RunningService>;
  /** Every replica of each service, in order (`[0]` is the one in `services`). */
  replicas: Map<ServiceName, RunningService[]>;
  gatewayUrl: string;
  /** Prometheus and the exporters, when asked for (`monitoring`). */
  monitoring?: Monitoring;
  /** Starts (again) one service process (replica `index`, default the first); for restarts and fault tests. */
  restart(name: ServiceName, index?: number): Promise<RunningService>;
  /** `kill -9` of one replica (default the first); `restart` starts it again on the same ports. */
  kill(name: ServiceName, index?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const env = options.env ?? process.env;
  for (const name of Object.keys(options.replicas ?? {}) as ServiceName[]) replicaCount(options, name);
  mkdirSync(options.dir, { recursive: true });
  const logDir = join(options.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const ownInfra = !options.infra;
  const launched = new Set<ManagedProcess>();
  let monitoring: Monitoring | undefined;
  const infra =
    options.infra ??
    (await startInfra({
      dir: options.dir,
      env,
      ports:
        options.portMode === 'fixed' ? { postgres: 54329, redis: 63799, nats: 42229, natsMonitor: 8222, smtp: 25259 } : {},
      // A stack of its own names its one bucket and its streams in the NATS permissions exactly.
      natsNames: {
        bucket: options.extraEnv?.ELECTIONS_BUCKET ?? natsNames.electionsBucket,
        ballotsStream: options.extraEnv?.BALLOTS_STREAM ?? natsNames.ballotsStream,
        eventsStream: options.extraEnv?.ELECTION_EVENTS_STREAM ?? natsNames.electionEventsStream,
      },
      ...(options.postgresShards ? { postgresShards: options.postgresShards } : {}),
      ...(options.cluster ? { cluster: options.cluster } : {}),
    }));
  try {
    const databaseUrls = await provisionOrShare(infra.postgresAdminUrl, options.database ?? 'onevote');
    // Every vote shard group gets the same database, roles and schemas (group 0 is the one above).
    const shardDatabaseUrls = infra.postgresShardAdminUrls
      ? [
          databaseUrls,
          ...(await Promise.all(
            infra.postgresShardAdminUrls.slice(1).map((url) => provisionOrShare(url, options.database ?? 'onevote')),
          )),
        ]
      : undefined;
    const defs = availableServices().filter((d) => !options.omit?.includes(d.name));
    const ports = {} as Record<ServiceName, number>;
    const opsPorts = {} as Record<ServiceName, number>;
    const replicaPorts: Partial<Record<ServiceName, number[]>> = {};
    const replicaOpsPorts: Partial<Record<ServiceName, number[]>> = {};
    for (const def of defs) {
      const wanted =
        def.name === 'gateway'
          ? Number(env.PORT ?? def.port)
          : Number(env[`${envPrefix(def.name)}_PORT`] ?? def.port);
      ports[def.name] = options.portMode === 'fixed' ? await portOr(wanted) : await freePort();
      if (options.portMode === 'fixed' && ports[def.name] !== wanted) {
        if (def.name === 'gateway') throw new Error(`port ${wanted} is taken; set PORT to another port`);
        process.stderr.write(`[stack] port ${wanted} for ${def.name} is taken; using ${ports[def.name]}\n`);
      }
      // Operations listeners: 1000 above the service's port under `npm start` (9080-9084).
      opsPorts[def.name] = options.portMode === 'fixed' ? await portOr(def.port + 1000) : await freePort();
      // Further replicas: 100 above, per replica, under `npm start` (8183 and 9183 for vote-api's second).
      replicaPorts[def.name] = [ports[def.name]];
      replicaOpsPorts[def.name] = [opsPorts[def.name]];
      for (let i = 1; i < replicaCount(options, def.name); i++) {
        const fixed = options.portMode === 'fixed';
        replicaPorts[def.name]!.push(fixed ? await portOr(def.port + 100 * i) : await freePort());
        replicaOpsPorts[def.name]!.push(fixed ? await portOr(def.port + 1000 + 100 * i) : await freePort());
      }
    }
    const secrets = loadOrCreateSecrets(join(options.dir, 'secrets.json'));
    const admin = {
      email: env.ONEVOTE_ADMIN_EMAIL || 'admin@onevote.local',
      password: env.ONEVOTE_ADMIN_PASSWORD || secrets.ONEVOTE_ADMIN_PASSWORD,
      generatedNow: !env.ONEVOTE_ADMIN_PASSWORD && secrets.created,
    };
    const context: StackContext = {
      ports,
      opsPorts,
      replicaPorts,
      replicaOpsPorts,
      databaseUrls,
      ...(shardDatabaseUrls ? { shardDatabaseUrls } : {}),
      redisUrl: infra.redisUrl,
      natsUrl: infra.natsUrl,
      ...(infra.natsServiceUrls ? { natsServiceUrls: infra.natsServiceUrls } : {}),
      ...(infra.natsReplicas ? { natsReplicas: infra.natsReplicas } : {}),
      smtpUrl: infra.smtpUrl,
      ...(infra.mailDir ? { mailDir: infra.mailDir } : {}),
      secrets,
      logLevel: options.logLevel ?? env.LOG_LEVEL ?? 'info',
      ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
      ...(options.extraIssuers ? { extraIssuers: options.extraIssuers } : {}),
      variables: await configVariables(),
      userEnv: env,
    };

    const services = new Map<ServiceName, RunningService>();
    const replicas = new Map<ServiceName, RunningService[]>();
    const launch = (def: ServiceDef, replica: number) => {
      const port = replicaPorts[def.name]![replica]!;
      const opsPort = replicaOpsPorts[def.name]![replica]!;
      // Every replica gets the same environment but its own listeners.
      const serviceEnvironment = { ...serviceEnv(def, context), PORT: String(port), OPS_PORT: String(opsPort) };
      const logName = replica === 0 ? def.name : `${def.name}-${replica + 1}`;
      const proc = spawnService(
        def,
        serviceEnvironment,
        options.logTo === 'files' ? join(logDir, `${logName}.log`) : undefined,
        options.nodeArgs,
        logName,
      );
      launched.add(proc);
      const running: RunningService = {
        def,
        port,
        url: `http://127.0.0.1:${port}`,
        opsPort,
        opsUrl: `http://127.0.0.1:${opsPort}`,
        process: proc,
        env: serviceEnvironment,
        replica,
      };
      if (replica === 0) services.set(def.name, running);
      const list = replicas.get(def.name) ?? [];
      list[replica] = running;
      replicas.set(def.name, list);
      return running;
    };
    for (const def of defs) {
      for (let i = 0; i < replicaPorts[def.name]!.length; i++) launch(def, i);
    }
    await Promise.all(
      [...replicas.values()].flat().map((s) => waitReady(s.process.spec.name, s.opsPort, s.process)),
    );

    if (options.seed !== false) {
      // Only the seed step sees the admin password; no service process is given it.
      const seedEnv = { ONEVOTE_ADMIN_EMAIL: admin.email, ONEVOTE_ADMIN_PASSWORD: admin.password };
      for (const s of services.values()) await runServiceCli(s.def, { ...s.env, ...seedEnv }, ['seed']);
    }

    if (options.monitoring) {
      monitoring = await startMonitoring(
        { dir: options.dir, infra, opsPorts, replicaOpsPorts },
        {
          ...options.monitoring,
          ports:
            options.portMode === 'fixed'
              ? { prometheus: 9090, postgresExporter: 9187, redisExporter: 9121, natsExporter: 7777, ...options.monitoring.ports }
              : options.monitoring.ports ?? {},
        },
      );
    }

    const stack: Stack = {
      infra,
      ...(monitoring ? { monitoring } : {}),
      admin,
      database: options.database ?? 'onevote',
      context,
      services,
      replicas,
      gatewayUrl: `http://127.0.0.1:${ports.gateway ?? 0}`,
      async restart(name, index = 0) {
        const current = replicas.get(name)?.[index];
        if (!current) throw new Error(`unknown service ${name} (replica ${index})`);
        await current.process.stop();
        const next = launch(current.def, index);
        await waitReady(next.process.spec.name, next.opsPort, next.process);
        return next;
      },
      async kill(name, index = 0) {
        const current = replicas.get(name)?.[index];
        if (!current) throw new Error(`unknown service ${name} (replica ${index})`);
        await current.process.kill();
      },
      async stop() {
        // Prometheus first (it would only record everything going down), then the services (they
        // drain requests and close their clients), then the servers they use.
        await monitoring?.stop();
        await Promise.all([...replicas.values()].flat().map((s) => s.process.stop(10_000)));
        if (ownInfra) await infra.stop();
      },
    };
    return stack;
  } catch (err) {
    await monitoring?.stop();
    await Promise.all(ManagedProcess.running().filter((p) => launched.has(p)).map((p) => p.stop()));
    if (ownInfra) await infra.stop();
    throw err;
  }
}

function replicaCount(options: StackOptions, name: ServiceName): number {
  const n = options.replicas?.[name] ?? 1;
  if (!Number.isInteger(n) || n < 1) throw new Error(`replicas of ${name} must be a whole number of at least 1, not ${n}`);
  if (n > 1 && name === 'relay') throw new Error('the relay runs once per deployment: its replication slot has one reader');
  if (n > 1 && name === 'gateway') throw new Error('the gateway runs once: it is the stack\'s one public port');
  return n;
}

function envPrefix(name: ServiceName) {
  return name.toUpperCase().replace('-', '_');
}

// With a non-superuser DATABASE_URL (a managed database where roles are made by IaC) every
// service uses that URL and creates its own schema.
async function provisionOrShare(adminUrl: string, database: string): Promise<Record<string, string>> {
  try {
    return await provisionWhileFailingOver(adminUrl, database);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '42501') throw err; // insufficient_privilege
    process.stderr.write('[stack] DATABASE_URL may not create roles; every service uses it as given\n');
    return Object.fromEntries(databaseRoles.map((r) => [r.service, adminUrl]));
  }
}

/**
 * A shard group in the middle of a failover (no primary yet, or a connection that reached the node
 * just demoted: 25006) is asked again, for up to a minute, as every service does with a 503.
 */
async function provisionWhileFailingOver(adminUrl: string, database: string): Promise<Record<string, string>> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      return await provisionDatabase(adminUrl, database);
    } catch (err) {
      if (!isDatabaseUnavailable(err) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500)); // a retry's back-off, not a wait for a condition
    }
  }
}
