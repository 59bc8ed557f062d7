import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Infra, startInfra } from './infra.ts';
import { freePort, portOr } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { provisionDatabase } from './provision.ts';
import { loadOrCreateSecrets } from './secrets.ts';
import {
  availableServices,
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
  extraIssuers?: { issuer: string; jwksUrl: string }[];
  /** Node options for every service process (`--cpu-prof` is not allowed in NODE_OPTIONS). */
  nodeArgs?: string[];
  seed?: boolean;
}

export interface RunningService {
  def: ServiceDef;
  port: number;
  url: string;
  process: ManagedProcess;
  env: NodeJS.ProcessEnv;
}

export interface Stack {
  infra: Infra;
  /** The database the services use (provisioned by the stack). */
  database: string;
  context: StackContext;
  services: Map<ServiceName, RunningService>;
  gatewayUrl: string;
  /** Starts (again) one service process; for restarts and fault tests. */
  restart(name: ServiceName): Promise<RunningService>;
  stop(): Promise<void>;
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const env = options.env ?? process.env;
  mkdirSync(options.dir, { recursive: true });
  const logDir = join(options.dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const ownInfra = !options.infra;
  const launched = new Set<ManagedProcess>();
  const infra =
    options.infra ??
    (await startInfra({
      dir: options.dir,
      env,
      ports: options.portMode === 'fixed' ? { postgres: 54329, redis: 63799, nats: 42229 } : {},
    }));
  try {
    const databaseUrls = await provisionOrShare(infra.postgresAdminUrl, options.database ?? 'onevote');
    const defs = availableServices();
    const ports = {} as Record<ServiceName, number>;
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
    }
    const context: StackContext = {
      ports,
      databaseUrls,
      redisUrl: infra.redisUrl,
      natsUrl: infra.natsUrl,
      secrets: loadOrCreateSecrets(join(options.dir, 'secrets.json')),
      logLevel: options.logLevel ?? env.LOG_LEVEL ?? 'info',
      ...(options.extraEnv ? { extraEnv: options.extraEnv } : {}),
      ...(options.extraIssuers ? { extraIssuers: options.extraIssuers } : {}),
    };

    const services = new Map<ServiceName, RunningService>();
    const launch = (def: ServiceDef) => {
      const serviceEnvironment = serviceEnv(def, context);
      const proc = spawnService(
        def,
        serviceEnvironment,
        options.logTo === 'files' ? join(logDir, `${def.name}.log`) : undefined,
        options.nodeArgs,
      );
      const running = {
        def,
        port: ports[def.name],
        url: `http://127.0.0.1:${ports[def.name]}`,
        process: proc,
        env: serviceEnvironment,
      };
      services.set(def.name, running);
      return running;
    };
    for (const def of defs) launch(def);
    await Promise.all([...services.values()].map((s) => waitReady(s.def.name, s.port, s.process)));

    if (options.seed !== false) {
      for (const s of services.values()) await runServiceCli(s.def, s.env, ['seed']);
    }

    const stack: Stack = {
      infra,
      database: options.database ?? 'onevote',
      context,
      services,
      gatewayUrl: `http://127.0.0.1:${ports.gateway ?? 0}`,
      async restart(name) {
        const current = services.get(name);
        if (!current) throw new Error(`unknown service ${name}`);
        await current.process.stop();
        const next = launch(current.def);
        await waitReady(name, next.port, next.process);
        return next;
      },
      async stop() {
        // Services first (they drain requests and close their clients), then the servers they use.
        await Promise.all([...services.values()].map((s) => s.process.stop(10_000)));
        if (ownInfra) await infra.stop();
      },
    };
    return stack;
  } catch (err) {
    await Promise.all(ManagedProcess.running().filter((p) => launched.has(p)).map((p) => p.stop()));
    if (ownInfra) await infra.stop();
    throw err;
  }
}

function envPrefix(name: ServiceName) {
  return name.toUpperCase().replace('-', '_');
}

// With a non-superuser DATABASE_URL (a managed database where roles are made by IaC) every
// service uses that URL and creates its own schema.
async function provisionOrShare(adminUrl: string, database: string): Promise<Record<string, string>> {
  try {
    return await provisionDatabase(adminUrl, database);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code !== '42501') throw err; // insufficient_privilege
    process.stderr.write('[stack] DATABASE_URL may not create roles; every service uses it as given\n');
    return { identity: adminUrl, ballot: adminUrl, 'vote-api': adminUrl, results: adminUrl };
  }
}
