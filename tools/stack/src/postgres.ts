import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { binaries, postgresUser } from './binaries.ts';
import { ManagedProcess } from './process.ts';
import { waitFor } from './wait.ts';

// Tuned for a write-heavy single machine; durability settings stay at their safe defaults
// (fsync on, synchronous_commit on): I1 depends on them.
export const serverSettings = {
  listen_addresses: '127.0.0.1',
  unix_socket_directories: '',
  max_connections: '200',
  shared_buffers: '512MB',
  // As on Aurora: timestamps in UTC, also in the text logical decoding sends the relay.
  timezone: 'UTC',
  wal_level: 'logical',
  // One slot per relay (tests make one each); a slot whose relay is gone may hold at most this much WAL.
  max_replication_slots: '64',
  max_slot_wal_keep_size: '2GB',
  max_wal_size: '4GB',
  checkpoint_timeout: '15min',
  wal_compression: 'on',
  fsync: 'on',
  synchronous_commit: 'on',
  log_min_messages: 'warning',
  log_min_error_statement: 'panic',
};

/** A private PostgreSQL server: data in `dataDir`, TCP on 127.0.0.1:`port`, trust auth. */
export class PostgresServer {
  private process: ManagedProcess | undefined;
  private readonly bin = binaries.postgresBinDir();
  private readonly user = postgresUser();

  constructor(
    readonly dataDir: string,
    readonly port: number,
  ) {}

  get adminUrl() {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  urlFor(database: string, role = 'postgres') {
    return `postgres://${role}@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    this.prepareDataDir();
    stopStale(join(this.dataDir, 'postmaster.pid'), 'SIGINT');
    const settings = Object.entries(serverSettings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);
    this.process = new ManagedProcess({
      name: 'postgres',
      command: join(this.bin, 'postgres'),
      args: ['-D', this.dataDir, '-p', String(this.port), ...settings],
      logFile: join(dirname(this.dataDir), 'postgres.log'),
      stopSignal: 'SIGINT',
      ...this.user,
    });
    await waitFor(`PostgreSQL on port ${this.port}`, async () => {
      if (!this.process?.running)
        throw new Error(`postgres exited; see ${join(dirname(this.dataDir), 'postgres.log')}`);
      const sql = postgres(this.adminUrl, { max: 1, connect_timeout: 1, onnotice: () => {} });
      try {
        await sql`select 1`;
        return true;
      } finally {
        await sql.end({ timeout: 1 });
      }
    });
  }

  /** Clean, fast shutdown (in-flight transactions roll back, committed data stays). */
  /** The server's process id (the postmaster for PostgreSQL), while it runs. */
  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  async stop(): Promise<void> {
    await this.process?.stop(10_000);
  }

  /** `kill -9` of the postmaster: the next start runs crash recovery. */
  async kill(): Promise<void> {
    const pid = this.process?.pid;
    if (!pid || !this.process?.running) return;
    const backends = childPids(pid);
    await this.process.kill();
    // The postmaster's children notice its death and exit on their own; a restart before they are
    // gone fails on the shared-memory interlock, so wait for them.
    await waitFor('orphaned postgres backends to exit', () => !backends.some(pidAlive), {
      timeoutMs: 15_000,
    });
  }

  private prepareDataDir() {
    const parent = dirname(this.dataDir);
    mkdirSync(parent, { recursive: true });
    if (!existsSync(join(this.dataDir, 'PG_VERSION'))) {
      mkdirSync(this.dataDir, { recursive: true, mode: 0o700 });
      if (this.user) {
        chownSync(this.dataDir, this.user.uid, this.user.gid);
        // The postgres user must reach the data dir (traverse every ancestor, e.g. a 0700 temp dir)
        // and write its log beside it.
        chmodSync(parent, 0o777);
        allowTraverse(dirname(parent));
      }
      execFileSync(
        join(this.bin, 'initdb'),
        ['-D', this.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
        { stdio: 'pipe', ...this.user },
      );
    }
  }
}

export function allowTraverse(dir: string) {
  for (let d = dir; d !== dirname(d); d = dirname(d)) {
    const mode = statSync(d).mode;
    if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
  }
}

export function pidAlive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

function stalePid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  return pid > 0 && pidAlive(pid) ? pid : undefined;
}

/** A server of ours left running by a supervisor that died: stop it before starting anew. */
export function stopStale(pidFile: string, signal: NodeJS.Signals) {
  const pid = stalePid(pidFile);
  if (!pid) return;
  process.stderr.write(`[stack] stopping a leftover server (pid ${pid}) from ${pidFile}\n`);
  process.kill(pid, signal);
  const deadline = Date.now() + 10_000;
  while (pidAlive(pid) && Date.now() < deadline) execFileSync('sleep', ['0.1']);
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
}
