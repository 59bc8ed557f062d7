import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly installCommand: string,
  ) {
    super(`${binary} is not installed. Install it with:\n\n  ${installCommand}\n`);
    this.name = 'MissingBinaryError';
  }
}

function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

const isRoot = () => process.getuid?.() === 0;

let aptUpdated = false;
function aptInstall(pkg: string) {
  const opts = { stdio: 'inherit' as const, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
  if (!aptUpdated) execFileSync('apt-get', ['update', '-q'], opts);
  aptUpdated = true;
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], opts);
}

/** Finds a server binary, installing its Debian package when running as root; otherwise says how. */
function ensure<T>(find: () => T | undefined, binary: string, pkg: string): T {
  const found = find();
  if (found) return found;
  if (!isRoot())
    throw new MissingBinaryError(binary, `sudo apt-get update && sudo apt-get install -y ${pkg}`);
  process.stderr.write(`[stack] ${binary} not found; installing Debian package ${pkg}\n`);
  aptInstall(pkg);
  const after = find();
  if (!after) throw new MissingBinaryError(binary, `apt-get install -y ${pkg}`);
  return after;
}

export const binaries = {
  postgresBinDir: () => ensure(postgresBinDir, 'PostgreSQL', 'postgresql'),
  redis: () => ensure(() => onPath('redis-server'), 'redis-server', 'redis-server'),
  // Forms and inspects a Redis Cluster (redis-cluster.ts); Debian ships it in redis-tools.
  redisCli: () => ensure(() => onPath('redis-cli'), 'redis-cli', 'redis-tools'),
  nats: () =>
    ensure(
      () =>
        onPath('nats-server') ?? (existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : undefined),
      'nats-server',
      'nats-server',
    ),
  // PostgreSQL HA (`cluster.postgres`): pg_auto_failover's pg_autoctl and its monitor extension.
  pgAutoctl: () => ensure(() => onPath('pg_autoctl'), 'pg_autoctl', 'pg-auto-failover-cli'),
  pgAutoFailoverExtension: () => {
    const version = postgresBinDir()?.split('/').at(-2) ?? '15';
    const lib = `/usr/lib/postgresql/${version}/lib/pgautofailover.so`;
    return ensure(() => (existsSync(lib) ? lib : undefined), 'pg_auto_failover', `postgresql-${version}-auto-failover`);
  },
  // Monitoring (`npm start -- --monitoring`, the rule and dashboard tests): Debian's Prometheus,
  // its promtool, and the PostgreSQL and Redis exporters.
  prometheus: () => ensure(() => onPath('prometheus'), 'prometheus', 'prometheus'),
  promtool: () => ensure(() => onPath('promtool'), 'promtool', 'prometheus'),
  postgresExporter: () =>
    ensure(() => onPath('prometheus-postgres-exporter'), 'prometheus-postgres-exporter', 'prometheus-postgres-exporter'),
  redisExporter: () =>
    ensure(() => onPath('prometheus-redis-exporter'), 'prometheus-redis-exporter', 'prometheus-redis-exporter'),
};

/** The uid/gid PostgreSQL runs as when we are root (it refuses to run as root). */
export function postgresUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const line = execFileSync('getent', ['passwd', 'postgres'], { encoding: 'utf8' }).trim();
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}
