import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import postgres from 'postgres';
import { binaries } from './binaries.ts';
import type { Infra } from './infra.ts';
import { natsMetrics } from './nats-metrics.ts';
import { portOr } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { repoRoot, type ServiceName } from './services.ts';
import { GiveUp, waitFor } from './wait.ts';

/** The rule files Prometheus loads (recording rules for the SLIs, and the alerts). */
export const ruleFiles = join(repoRoot, 'deploy', 'prometheus', 'rules', '*.yml');

export interface MonitoringOptions {
  /** How often every target is scraped (Prometheus duration; `npm start`: 5s, tests: 1s). */
  scrapeInterval?: string;
  /** How often the rules are evaluated (default: the scrape interval). */
  evaluationInterval?: string;
  /** Preferred ports (used when free); random free ports otherwise. */
  ports?: { prometheus?: number; postgresExporter?: number; redisExporter?: number; natsExporter?: number };
}

export interface Monitoring {
  prometheusUrl: string;
  /** Its config, TSDB, the exporters' logs and the Redis user's password file. */
  dir: string;
  /** What Prometheus scrapes, by job (the `job` label). */
  targets: Record<string, string[]>;
  /** Scrape jobs left out, with the reason (e.g. an external Redis that would not take our ACL user). */
  skipped: Record<string, string>;
  stop(): Promise<void>;
}

export interface MonitoredStack {
  /** Data (Prometheus' TSDB, its config, the exporters' logs) goes under `dir/prometheus`. */
  dir: string;
  infra: Infra;
  /** Each service's operations listener port (`/metrics`). */
  opsPorts: Partial<Record<ServiceName, number>>;
  /** Every replica's, when a service runs more than once (each is a target of its own). */
  replicaOpsPorts?: Partial<Record<ServiceName, number[]>>;
}

/** The PostgreSQL role the exporter logs in as: pg_monitor (read statistics), nothing else. */
export const monitoringRole = 'onevote_monitoring';
/** The Redis ACL user of the exporter. */
export const redisMonitoringUser = 'onevote-monitoring';
/**
 * What redis_exporter 1.45 runs without key checks (no -check-keys; checked against Redis's ACL
 * LOG): INFO for nearly every metric, CONFIG GET (maxmemory, databases...), SLOWLOG and LATENCY for
 * their gauges, CLUSTER INFO, SELECT, and CLIENT SETNAME for its own connection's name. No key may
 * be read and nothing written or configured.
 */
export const redisMonitoringAcl = [
  'reset',
  'on',
  'resetkeys',
  'resetchannels',
  '-@all',
  '+ping',
  '+info',
  '+config|get',
  '+slowlog|get',
  '+slowlog|len',
  '+latency|latest',
  '+latency|histogram',
  '+cluster|info',
  '+select',
  '+client|setname',
];

/**
 * Prometheus (Debian's), scraping every service's `/metrics`, PostgreSQL through
 * postgres_exporter, Redis through redis_exporter and NATS's monitoring port through a small
 * adapter (nats-metrics.ts; Debian has no NATS exporter and Prometheus cannot read NATS's JSON),
 * with the rules under deploy/prometheus/rules. Everything under `dir/prometheus`, on 127.0.0.1.
 */
export async function startMonitoring(stack: MonitoredStack, options: MonitoringOptions = {}): Promise<Monitoring> {
  const dir = join(stack.dir, 'prometheus');
  mkdirSync(dir, { recursive: true });
  const processes: ManagedProcess[] = [];
  let natsAdapter: Server | undefined;
  let stopping = false;
  const stop = async () => {
    stopping = true;
    await Promise.all(processes.reverse().map((p) => p.stop()));
    await new Promise<void>((resolve) => (natsAdapter ? natsAdapter.close(() => resolve()) : resolve()));
  };
  const targets: Record<string, string[]> = {};
  const skipped: Record<string, string> = {};
  try {
    // PostgreSQL: a login role with pg_monitor only.
    try {
      await provisionMonitoringRole(stack.infra.postgresAdminUrl);
      const port = await portOr(options.ports?.postgresExporter);
      const dsn = new URL(stack.infra.postgresAdminUrl);
      dsn.username = monitoringRole;
      dsn.password = '';
      dsn.pathname = '/postgres';
      dsn.searchParams.set('sslmode', 'disable');
      processes.push(
        new ManagedProcess({
          name: 'postgres-exporter',
          command: binaries.postgresExporter(),
          args: [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
          env: { PATH: process.env.PATH, DATA_SOURCE_NAME: dsn.toString() },
          logFile: join(dir, 'postgres-exporter.log'),
        }),
      );
      targets.postgres = [`127.0.0.1:${port}`];
    } catch (err) {
      skipped.postgres = `no monitoring role: ${(err as Error).message}`;
    }

    // Redis: an ACL user that may run INFO and a few read-only server commands, and read no key.
    try {
      const password = randomBytes(18).toString('base64url');
      await redisCommand(stack.infra.redisUrl, ['ACL', 'SETUSER', redisMonitoringUser, ...redisMonitoringAcl, `>${password}`]);
      const port = await portOr(options.ports?.redisExporter);
      const redis = new URL(stack.infra.redisUrl);
      const address = `redis://${redis.hostname}:${redis.port || 6379}`;
      // redis_exporter's password file maps each address to its password (JSON).
      const passwordFile = join(dir, 'redis-exporter.password');
      writeFileSync(passwordFile, JSON.stringify({ [address]: password }), { mode: 0o600 });
      processes.push(
        new ManagedProcess({
          name: 'redis-exporter',
          command: binaries.redisExporter(),
          args: [
            `-redis.addr=${address}`,
            `-redis.user=${redisMonitoringUser}`,
            `-redis.password-file=${passwordFile}`,
            `-web.listen-address=127.0.0.1:${port}`,
          ],
          env: { PATH: process.env.PATH },
          logFile: join(dir, 'redis-exporter.log'),
        }),
      );
      targets.redis = [`127.0.0.1:${port}`];
    } catch (err) {
      skipped.redis = `no monitoring user: ${(err as Error).message}`;
    }

    // NATS: its monitoring port serves JSON; the adapter turns it into Prometheus' text format.
    if (stack.infra.natsMonitorUrl) {
      const port = await portOr(options.ports?.natsExporter);
      natsAdapter = await serveNatsMetrics(stack.infra.natsMonitorUrl, port);
      targets.nats = [`127.0.0.1:${port}`];
    } else skipped.nats = 'no NATS monitoring URL (NATS_URL given without one)';

    // Each exporter answers before Prometheus starts (a bad flag or password ends it at once).
    await Promise.all(
      processes.map((p) => {
        const job = p.spec.name === 'postgres-exporter' ? 'postgres' : 'redis';
        return waitFor(
          `${p.spec.name} on ${targets[job]![0]}`,
          async () => {
            if (!p.running) throw new GiveUp(`${p.spec.name} exited; the end of its log:\n${p.logTail(10)}`);
            return (await fetch(`http://${targets[job]![0]}/metrics`, { signal: AbortSignal.timeout(2000) })).ok;
          },
          { timeoutMs: 30_000, intervalMs: 200 },
        );
      }),
    );

    const prometheusPort = await portOr(options.ports?.prometheus);
    targets.prometheus = [`127.0.0.1:${prometheusPort}`];
    const interval = options.scrapeInterval ?? '15s';
    const exporterInterval = seconds(interval) < 3 ? '3s' : interval;
    const services = (Object.entries(stack.opsPorts) as [ServiceName, number][]).flatMap(
      ([service, port]) => (stack.replicaOpsPorts?.[service] ?? [port]).map((p) => [service, p] as [ServiceName, number]),
    );
    const config = {
      global: {
        scrape_interval: interval,
        scrape_timeout: shorter(interval, '10s'),
        evaluation_interval: options.evaluationInterval ?? interval,
        external_labels: { stack: 'onevote-local' },
      },
      rule_files: [ruleFiles],
      scrape_configs: [
        {
          // The services label their own series with `service`; the target carries it too, so `up` has it.
          job_name: 'onevote',
          honor_labels: true,
          static_configs: services.map(([service, port]) => ({ targets: [`127.0.0.1:${port}`], labels: { service } })),
        },
        // The exporters get at least 3 s: postgres_exporter takes over a second to answer pg_up 0
        // when PostgreSQL is away, and a scrape that times out records no pg_up at all.
        ...['postgres', 'redis', 'nats', 'prometheus']
          .filter((job) => targets[job])
          .map((job) => ({
            job_name: job,
            scrape_interval: exporterInterval,
            scrape_timeout: shorter(exporterInterval, '10s'),
            static_configs: [{ targets: targets[job] }],
          })),
      ],
    };
    targets.onevote = services.map(([, port]) => `127.0.0.1:${port}`);
    const configFile = join(dir, 'prometheus.yml');
    // JSON is YAML: the config is written as it is built.
    writeFileSync(configFile, JSON.stringify(config, null, 2));
    const prometheus = new ManagedProcess({
      name: 'prometheus',
      command: binaries.prometheus(),
      args: [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--storage.tsdb.retention.time=7d',
        `--web.listen-address=127.0.0.1:${prometheusPort}`,
        '--log.level=warn',
      ],
      env: { PATH: process.env.PATH },
      logFile: join(dir, 'prometheus.log'),
    });
    processes.push(prometheus);
    void prometheus.exited.then((code) => {
      if (!stopping) process.stderr.write(`[stack] prometheus exited with code ${code}; the end of its log:\n${prometheus.logTail(20)}\n`);
    });
    const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
    await waitFor(
      `Prometheus on port ${prometheusPort}`,
      async () => {
        if (!prometheus.running) throw new Error(`prometheus exited; see ${join(dir, 'prometheus.log')}`);
        return (await fetch(`${prometheusUrl}/-/ready`, { signal: AbortSignal.timeout(1000) })).ok;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return { prometheusUrl, dir, targets, skipped, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Creates (idempotently) the exporter's role: LOGIN and pg_monitor, no other grant. */
export async function provisionMonitoringRole(adminUrl: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await sql.begin(async (tx) => {
      // The same lock as the service roles' provisioning: roles are server-wide rows.
      await tx`select pg_advisory_xact_lock(hashtext('onevote.provision.roles'))`;
      await tx.unsafe(
        `do $$ begin create role ${monitoringRole} login; exception when duplicate_object or unique_violation then null; end $$`,
      );
      await tx.unsafe(`alter role ${monitoringRole} login nosuperuser nocreatedb nocreaterole noreplication`);
      await tx.unsafe(`grant pg_monitor to ${monitoringRole}`);
    });
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** One Redis command over RESP (the stack has no Redis client of its own); the reply's first line. */
export function redisCommand(url: string, args: string[], timeoutMs = 2000): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 6379) });
    const commands: string[][] = [];
    if (u.password) commands.push(['AUTH', ...(u.username ? [decodeURIComponent(u.username)] : []), decodeURIComponent(u.password)]);
    commands.push(args);
    const encode = (cmd: string[]) => `*${cmd.length}\r\n${cmd.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
    let data = '';
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error('Redis did not answer'));
    });
    socket.on('error', reject);
    socket.on('connect', () => socket.write(commands.map(encode).join('')));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      const lines = data.split('\r\n');
      if (lines.length <= commands.length) return;
      socket.destroy();
      const failed = lines.slice(0, commands.length).find((l) => l.startsWith('-'));
      if (failed) reject(new Error(failed.slice(1)));
      else resolve(lines[commands.length - 1]!);
    });
  });
}

function serveNatsMetrics(monitorUrl: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    natsMetrics(monitorUrl).then(
      (text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text),
      (err: Error) => res.writeHead(500).end(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** The shorter of two Prometheus durations in s or m (a scrape may not outlast its interval). */
function shorter(a: string, b: string): string {
  return seconds(a) <= seconds(b) ? a : b;
}

function seconds(d: string): number {
  return Number.parseFloat(d) * (d.endsWith('ms') ? 0.001 : d.endsWith('m') ? 60 : d.endsWith('h') ? 3600 : 1);
}
