/**
 * PostgreSQL with automatic failover, by pg_auto_failover (docs/adr/0004): one monitor, and per
 * shard group a formation of two nodes, a primary and a synchronous standby, each a PostgreSQL
 * server supervised by its `pg_autoctl` keeper. The keepers report to the monitor; when the primary
 * stops answering, the monitor promotes the standby. Clients use a multi-host URL with
 * `target_session_attrs=read-write`, so they find whichever node is the primary now.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import postgres from 'postgres';
import { binaries, postgresUser } from './binaries.ts';
import { allowTraverse, pidAlive, serverSettings, stopStale } from './postgres.ts';
import { freePort } from './ports.ts';
import { ManagedProcess } from './process.ts';
import { waitFor } from './wait.ts';

/**
 * The monitor's failure detection, tuned so a dead primary is replaced in a few seconds (the
 * defaults take about a minute). A node is failed when the monitor cannot connect to it (1 s timeout, one
 * retry 0.5 s later) and its keeper has not reported for 2 s.
 */
const monitorSettings = {
  'pgautofailover.health_check_period': '1000',
  'pgautofailover.health_check_timeout': '1000',
  'pgautofailover.health_check_max_retries': '1',
  'pgautofailover.health_check_retry_delay': '500',
  'pgautofailover.node_considered_unhealthy_timeout': '2000',
  // The standby, promoted but still read-only, waits this long before it takes writes: time for an
  // old primary that is merely cut off to notice and stop itself (its keeper's
  // network_partition_timeout below, 2 s, must be shorter), so there are never two primaries.
  'pgautofailover.primary_demote_timeout': '3000',
  // No failover in the first seconds after the monitor starts (it has no reports yet).
  'pgautofailover.startup_grace_period': '5000',
  // The monitor is small: it holds a few rows per node.
  shared_buffers: '32MB',
  max_connections: '50',
};

/** Keeper settings (`pg_autoctl config set`); see monitorSettings for why 2 s. */
const keeperSettings = { 'timeout.network_partition_timeout': '2' };

/**
 * The data nodes run with the single server's settings (postgres.ts): wal_level=logical for the
 * relay, its replication slots, UTC, fsync and synchronous_commit on. pg_autoctl sets the address
 * (`-h`) and port on the command line, so those are left out.
 */
function nodeSettings(socketDir: string): Record<string, string> {
  const { listen_addresses: _listen, unix_socket_directories: _sockets, ...rest } = serverSettings;
  return {
    ...rest,
    // pg_autoctl needs a Unix socket (it starts PostgreSQL without TCP for crash recovery before a
    // pg_rewind): a private directory, not the system's.
    unix_socket_directories: `'${socketDir}'`,
  };
}

function conf(settings: Record<string, string>): string {
  return `${Object.entries(settings)
    .map(([k, v]) => `${k} = ${/^'.*'$/.test(v) || /^[0-9]+$/.test(v) ? v : `'${v}'`}`)
    .join('\n')}\n`;
}

const ownConf = 'postgresql-onevote.conf';

/** The environment every pg_autoctl process runs in: its files under `dir`, nothing of ours. */
class Autoctl {
  readonly bin = binaries.pgAutoctl();
  readonly pgctl = join(binaries.postgresBinDir(), 'pg_ctl');
  readonly user = postgresUser();
  readonly socketDir: string;
  private readonly xdg: { config: string; share: string; run: string };

  constructor(readonly dir: string) {
    binaries.pgAutoFailoverExtension();
    this.socketDir = join(dir, 'sock');
    this.xdg = { config: join(dir, 'xdg', 'config'), share: join(dir, 'xdg', 'share'), run: join(dir, 'xdg', 'run') };
    for (const d of [dir, this.socketDir, join(dir, 'xdg'), ...Object.values(this.xdg)]) this.ownDir(d);
    if (this.user) allowTraverse(dir);
  }

  /** A directory the postgres user owns (and only it: sockets and configuration live there). */
  ownDir(path: string) {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    if (this.user) chownSync(path, this.user.uid, this.user.gid);
    chmodSync(path, 0o700);
  }

  ownFile(path: string) {
    if (this.user) chownSync(path, this.user.uid, this.user.gid);
  }

  get env(): NodeJS.ProcessEnv {
    return {
      PATH: `${binaries.postgresBinDir()}:/usr/bin:/bin`,
      HOME: this.dir,
      XDG_CONFIG_HOME: this.xdg.config,
      XDG_DATA_HOME: this.xdg.share,
      XDG_RUNTIME_DIR: this.xdg.run,
      // pg_autoctl's own connections to its PostgreSQL go over TCP.
      PGHOST: '127.0.0.1',
      LC_ALL: 'C.UTF-8',
      LANG: 'C.UTF-8',
    };
  }

  /** A one-off pg_autoctl command (create, config set); its output goes to `log`. */
  exec(args: string[], log: string): string {
    try {
      const out = execFileSync(this.bin, args, { env: this.env, ...this.user, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      appendFileSync(log, out);
      return out;
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      appendFileSync(log, `${e.stdout ?? ''}${e.stderr ?? ''}`);
      throw new Error(`pg_autoctl ${args.slice(0, 2).join(' ')} failed; see ${log}\n${(e.stderr ?? '').split('\n').slice(-8).join('\n')}`);
    }
  }

  /** The pid file of `pg_autoctl run` for a data directory (first line: the supervisor's pid). */
  pidFile(dataDir: string) {
    return join(this.xdg.run, 'pg_autoctl', ...dataDir.split('/').filter(Boolean), 'pg_autoctl.pid');
  }
}

/** Every node's process group, killed when this process exits however it exits. */
const groupsToKill = new Set<number>();
process.on('exit', () => {
  for (const pgid of groupsToKill) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** One PostgreSQL server under `pg_autoctl run` (the monitor, or a data node with its keeper). */
export class PgAutoctlNode {
  private process: ManagedProcess | undefined;
  readonly logFile: string;

  constructor(
    private readonly autoctl: Autoctl,
    readonly name: string,
    readonly port: number,
    readonly dataDir: string,
  ) {
    this.logFile = join(dataDir, '..', `${name}.log`);
  }

  get created(): boolean {
    return existsSync(join(this.dataDir, 'PG_VERSION'));
  }

  /** Its `pg_autoctl run` supervisor's process id, while it runs (CPU accounting). */
  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  /** Its PostgreSQL postmaster's process id, while it runs (CPU accounting: backends are its children). */
  get postmasterPid(): number | undefined {
    return postmasterPid(this.dataDir);
  }

  /** Whether its pg_autoctl supervisor runs (it restarts PostgreSQL itself if that alone dies). */
  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** The superuser URL of this one server. */
  url(database = 'postgres', role = 'postgres') {
    return `postgres://${role}@127.0.0.1:${this.port}/${database}`;
  }

  /** Starts `pg_autoctl run`: PostgreSQL, and for a data node the keeper, which reports to the monitor. */
  start(): void {
    if (this.running) return;
    // Left running by a supervisor that died: stopped first (pg_autoctl would refuse to start).
    stopStale(this.autoctl.pidFile(this.dataDir), 'SIGTERM');
    stopStale(join(this.dataDir, 'postmaster.pid'), 'SIGINT');
    this.process = new ManagedProcess({
      name: this.name,
      command: this.autoctl.bin,
      args: ['run', '--pgdata', this.dataDir],
      env: this.autoctl.env,
      logFile: this.logFile,
      detached: true,
      ...this.autoctl.user,
    });
    const pgid = this.process.pid;
    if (pgid) {
      groupsToKill.add(pgid);
      void this.process.exited.then(() => groupsToKill.delete(pgid));
    }
  }

  /** Clean stop: pg_autoctl stops PostgreSQL (fast shutdown) and exits; killed if it takes too long. */
  async stop(timeoutMs = 20_000): Promise<void> {
    const proc = this.process;
    if (!proc?.running) return;
    proc.child.kill('SIGTERM');
    const timer = setTimeout(() => this.killGroup(), timeoutMs);
    await proc.exited;
    clearTimeout(timer);
    await this.waitGroupGone(proc.pid!);
  }

  /** `kill -9` of the whole node: pg_autoctl, its keeper, PostgreSQL and every backend at once. */
  async kill(): Promise<void> {
    const proc = this.process;
    if (!proc?.running) return;
    // PostgreSQL's children are process groups of their own (they call setsid): killed by pid.
    const postmaster = postmasterPid(this.dataDir);
    const backends = postmaster ? childPids(postmaster) : [];
    this.killGroup();
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await proc.exited;
    await this.waitGroupGone(proc.pid!);
    await waitFor(`node ${this.name}'s backends to exit`, () => !backends.some(pidAlive), { timeoutMs: 15_000 });
  }

  private killGroup() {
    const pgid = this.process?.pid;
    if (!pgid) return;
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  /** A restart before the old postmaster and its backends are gone fails on PostgreSQL's interlock. */
  private async waitGroupGone(pgid: number) {
    await waitFor(`node ${this.name}'s processes to exit`, () => groupMembers(pgid).length === 0 && !postmasterAlive(this.dataDir), {
      timeoutMs: 20_000,
    });
  }

  logTail(lines = 30): string {
    return this.process?.logTail(lines) ?? '';
  }
}

/** Live processes of a process group (a zombie waiting to be reaped does not count). */
function groupMembers(pgid: number): number[] {
  let pids: number[];
  try {
    pids = execFileSync('pgrep', ['-g', String(pgid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return pids.filter((pid) => {
    try {
      // /proc/<pid>/stat: "pid (comm) state ..."; comm may hold spaces, the state follows the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
    } catch {
      return false;
    }
  });
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return pid > 0 && pidAlive(pid) ? pid : undefined;
}

function postmasterAlive(dataDir: string): boolean {
  return postmasterPid(dataDir) !== undefined;
}

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

async function query<T>(url: string, run: (sql: postgres.Sql) => Promise<T>, timeoutS = 1): Promise<T> {
  const sql = postgres(url, { max: 1, connect_timeout: timeoutS, idle_timeout: 1, onnotice: () => {} });
  try {
    return await run(sql);
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A node as the monitor sees it. */
export interface MonitorNodeState {
  name: string;
  port: number;
  reportedState: string;
  goalState: string;
  health: number;
}

/**
 * The pg_auto_failover monitor: a PostgreSQL server with the pgautofailover extension, deciding
 * failovers for every formation (one per shard group). It holds no ballot: losing it stops
 * failovers, not writes.
 */
export class PgMonitor {
  readonly node: PgAutoctlNode;
  readonly autoctl: Autoctl;

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {
    this.autoctl = new Autoctl(dir);
    this.autoctl.ownDir(join(dir, 'monitor'));
    this.node = new PgAutoctlNode(this.autoctl, 'monitor', port, join(dir, 'monitor', 'data'));
  }

  /** The URL keepers report to (`autoctl_node`, trusted from 127.0.0.1 only). */
  get url() {
    return `postgres://autoctl_node@127.0.0.1:${this.port}/pg_auto_failover?sslmode=disable`;
  }

  async start(): Promise<void> {
    const { node, autoctl } = this;
    if (!node.created) {
      // --listen: only on 127.0.0.1, from the first start on (the default is every address; the
      // option works for the monitor too, though its --help leaves it out).
      autoctl.exec(
        ['create', 'monitor', '--pgdata', node.dataDir, '--pgport', String(this.port), '--hostname', '127.0.0.1',
          '--listen', '127.0.0.1', '--auth', 'trust', '--no-ssl', '--pgctl', autoctl.pgctl],
        node.logFile,
      );
      writeOwnConf(autoctl, node.dataDir, { unix_socket_directories: `'${autoctl.socketDir}'`, ...monitorSettings });
    }
    node.start();
    await waitFor('the pg_auto_failover monitor', async () => {
      if (!node.running) throw new Error(`the monitor exited; see ${node.logFile}\n${node.logTail()}`);
      return query(this.url, async (sql) => (await sql`select 1 from pgautofailover.formation limit 1`, true));
    }, { timeoutMs: 60_000, intervalMs: 200 });
  }

  async stop(): Promise<void> {
    await this.node.stop();
  }

  /** Creates a formation (one shard group's nodes) unless it exists. */
  async ensureFormation(formation: string): Promise<void> {
    const exists = await query(this.url, (sql) => sql`select 1 from pgautofailover.formation where formationid = ${formation}`);
    if (exists.length > 0) return;
    this.autoctl.exec(
      ['create', 'formation', '--pgdata', this.node.dataDir, '--formation', formation, '--kind', 'pgsql', '--dbname', 'postgres'],
      this.node.logFile,
    );
  }

  async nodes(formation: string): Promise<MonitorNodeState[]> {
    const rows = await query(
      this.url,
      (sql) => sql<{ nodename: string; nodeport: number; reportedstate: string; goalstate: string; health: number }[]>`
        select nodename, nodeport, reportedstate::text, goalstate::text, health
          from pgautofailover.node where formationid = ${formation} order by nodeid`,
    );
    return rows.map((r) => ({ name: r.nodename, port: r.nodeport, reportedState: r.reportedstate, goalState: r.goalstate, health: r.health }));
  }
}

/** Our settings, included last from postgresql.conf so they win over pg_autoctl's defaults. */
function writeOwnConf(autoctl: Autoctl, dataDir: string, settings: Record<string, string>) {
  const file = join(dataDir, ownConf);
  writeFileSync(file, `# OneVote's settings (tools/stack/src/postgres-ha.ts)\n${conf(settings)}`);
  autoctl.ownFile(file);
  const main = join(dataDir, 'postgresql.conf');
  if (!readFileSync(main, 'utf8').includes(`include '${ownConf}'`)) appendFileSync(main, `\ninclude '${ownConf}'\n`);
}

/** What the primary says about synchronous replication. */
export interface SyncStatus {
  synchronousStandbyNames: string;
  synchronousCommit: string;
  /** The standbys streaming from it: `sync_state` is `sync` or `quorum` for a synchronous one. */
  standbys: { applicationName: string; state: string; syncState: string }[];
}

/**
 * One shard group: a pg_auto_failover formation of two nodes, a primary and its synchronous
 * standby. With both up, a commit returns only once the standby has flushed it
 * (`synchronous_standby_names = 'ANY 1 (pgautofailover_standby_N)'`, synchronous_commit on); with
 * one node left, the monitor lets the primary commit alone (state wait_primary) until the other
 * is back.
 */
export class PostgresGroup {
  readonly nodes: [PgAutoctlNode, PgAutoctlNode];

  constructor(
    readonly monitor: PgMonitor,
    /** The formation's name, e.g. `shard0`. */
    readonly formation: string,
    ports: [number, number],
  ) {
    const dir = join(monitor.dir, formation);
    monitor.autoctl.ownDir(dir);
    this.nodes = ports.map(
      (port, i) => new PgAutoctlNode(monitor.autoctl, `${formation}-node${i + 1}`, port, join(dir, `node${i + 1}`)),
    ) as [PgAutoctlNode, PgAutoctlNode];
  }

  /** Both nodes, for clients: whichever accepts writes is used (postgres.js tries them in turn). */
  get adminUrl() {
    return this.urlFor('postgres');
  }

  urlFor(database: string, role = 'postgres') {
    const hosts = this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
    return `postgres://${role}@${hosts}/${database}?target_session_attrs=read-write`;
  }

  async start(): Promise<void> {
    await this.monitor.ensureFormation(this.formation);
    const [first, second] = this.nodes;
    const fresh = !first.created;
    if (fresh) {
      this.createFirst(first);
      first.start();
      await this.waitForStates({ [first.name]: ['single'] });
      // The standby is a base backup of the primary (settings included), made by pg_autoctl.
      this.create(second);
    }
    for (const node of this.nodes) node.start();
    await this.waitForPrimary();
    await this.waitForSync();
  }

  /** The first node: our initdb (locale, encoding, superuser as for the single server), then registered. */
  private createFirst(node: PgAutoctlNode) {
    const { autoctl } = this.monitor;
    autoctl.ownDir(join(node.dataDir, '..'));
    autoctl.ownDir(node.dataDir);
    execFileSync(
      join(binaries.postgresBinDir(), 'initdb'),
      ['-D', node.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync'],
      { stdio: 'pipe', env: autoctl.env, ...autoctl.user },
    );
    writeOwnConf(autoctl, node.dataDir, nodeSettings(autoctl.socketDir));
    this.create(node);
  }

  private create(node: PgAutoctlNode) {
    const { autoctl } = this.monitor;
    autoctl.ownDir(join(node.dataDir, '..'));
    autoctl.exec(
      ['create', 'postgres', '--pgdata', node.dataDir, '--pgport', String(node.port), '--pghost', '127.0.0.1',
        '--listen', '127.0.0.1', '--hostname', '127.0.0.1', '--name', node.name, '--formation', this.formation,
        '--monitor', this.monitor.url, '--dbname', 'postgres', '--auth', 'trust', '--no-ssl', '--pgctl', autoctl.pgctl],
      node.logFile,
    );
    for (const [key, value] of Object.entries(keeperSettings)) {
      autoctl.exec(['config', 'set', '--pgdata', node.dataDir, key, value], node.logFile);
    }
  }

  /**
   * Stops both nodes cleanly (the standby first, so the primary is not failed over); `start()`
   * brings the group back with the same primary.
   */
  async stop(): Promise<void> {
    const primary = await this.primary().catch(() => undefined);
    if (!primary) {
      for (const node of this.nodes) await node.stop();
      return;
    }
    for (const node of this.nodes) if (node !== primary) await node.stop();
    // Once the monitor has seen the standby go (the primary then commits alone, wait_primary), the
    // standby is no candidate: stopping the primary now starts no failover, here or at the restart.
    await waitFor(`${primary.name} to run alone`, async () => {
      const states = await this.monitor.nodes(this.formation);
      return states.some((n) => n.name === primary.name && n.reportedState === 'wait_primary' && n.goalState === 'wait_primary');
    }, { timeoutMs: 30_000, intervalMs: 200 }).catch(() => {}); // a monitor that is away decides nothing either
    await primary.stop();
  }

  /** The node that accepts writes now, if any (what clients with target_session_attrs=read-write find). */
  async primary(): Promise<PgAutoctlNode | undefined> {
    for (const node of this.nodes) {
      if (!node.running) continue;
      const writable = await query(
        node.url(),
        async (sql) => {
          const [row] = await sql<{ recovery: boolean; ro: string }[]>`
            select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') as ro`;
          return row!.recovery === false && row!.ro === 'off';
        },
      ).catch(() => false);
      if (writable) return node;
    }
    return undefined;
  }

  /** Waits until a node accepts writes (e.g. the standby after a failover) and returns it. */
  async waitForPrimary({ timeoutMs = 60_000, not }: { timeoutMs?: number; not?: PgAutoctlNode } = {}): Promise<PgAutoctlNode> {
    let found: PgAutoctlNode | undefined;
    await waitFor(`a primary in ${this.formation}`, async () => {
      found = await this.primary();
      return found !== undefined && found !== not;
    }, { timeoutMs, intervalMs: 100 });
    return found!;
  }

  /** Kills the primary's whole node (PostgreSQL and its keeper: the machine is lost); returns it. */
  async killPrimary(): Promise<PgAutoctlNode> {
    const primary = await this.primary();
    if (!primary) throw new Error(`${this.formation} has no primary to kill`);
    await primary.kill();
    return primary;
  }

  /**
   * Starts a lost node again: its keeper finds that the other node was promoted, rewinds this one
   * (pg_rewind) and makes it the new standby. Resolves once replication is synchronous again.
   */
  async rejoin(node: PgAutoctlNode, { timeoutMs = 120_000 } = {}): Promise<void> {
    node.start();
    await this.waitForSync({ timeoutMs });
  }

  /** Waits until the monitor reports a primary and a secondary, and the primary replicates synchronously. */
  async waitForSync({ timeoutMs = 120_000 } = {}): Promise<SyncStatus> {
    const [a, b] = this.nodes;
    await this.waitForStates(
      { [a.name]: ['primary', 'secondary'], [b.name]: ['primary', 'secondary'] },
      { timeoutMs, distinct: true },
    );
    let status: SyncStatus | undefined;
    await waitFor(`synchronous replication in ${this.formation}`, async () => {
      status = await this.syncStatus();
      return status.synchronousStandbyNames !== '' && status.standbys.some((s) => s.state === 'streaming' && ['sync', 'quorum'].includes(s.syncState));
    }, { timeoutMs });
    return status!;
  }

  async syncStatus(): Promise<SyncStatus> {
    const primary = await this.primary();
    if (!primary) throw new Error(`${this.formation} has no primary`);
    return query(primary.url(), async (sql) => {
      const [settings] = await sql<{ names: string; commit: string }[]>`
        select current_setting('synchronous_standby_names') as names, current_setting('synchronous_commit') as commit`;
      const standbys = await sql<{ application_name: string; state: string; sync_state: string }[]>`
        select application_name, state, sync_state from pg_stat_replication`;
      return {
        synchronousStandbyNames: settings!.names,
        synchronousCommit: settings!.commit,
        standbys: standbys.map((s) => ({ applicationName: s.application_name, state: s.state, syncState: s.sync_state })),
      };
    });
  }

  async monitorStates(): Promise<MonitorNodeState[]> {
    return this.monitor.nodes(this.formation);
  }

  /** Waits until every named node reports (and is assigned) one of the given states. */
  private async waitForStates(
    wanted: Record<string, string[]>,
    { timeoutMs = 60_000, distinct = false }: { timeoutMs?: number; distinct?: boolean } = {},
  ) {
    let last: MonitorNodeState[] = [];
    try {
      await waitFor(`${this.formation} to reach ${JSON.stringify(wanted)}`, async () => {
        for (const node of this.nodes) {
          if (!node.running && wanted[node.name]) throw new Error(`${node.name} exited:\n${node.logTail()}`);
        }
        last = await this.monitor.nodes(this.formation);
        const matching = last.filter(
          (n) => wanted[n.name]?.includes(n.reportedState) && n.reportedState === n.goalState,
        );
        if (matching.length !== Object.keys(wanted).length) return false;
        return !distinct || new Set(matching.map((n) => n.reportedState)).size === matching.length;
      }, { timeoutMs, intervalMs: 200 });
    } catch (err) {
      throw new Error(`${(err as Error).message}\nmonitor: ${JSON.stringify(last)}`);
    }
  }
}

/**
 * A monitor and `count` shard groups (formations `shard0`, `shard1`, ...) under `dir`. The ports are
 * chosen once and kept in `dir/ports.json`: the monitor and every keeper know the nodes by port.
 */
export async function startPostgresGroups(dir: string, count: number): Promise<{ monitor: PgMonitor; groups: PostgresGroup[] }> {
  const ports = await chosenPorts(join(dir, 'ports.json'), count);
  const monitor = new PgMonitor(dir, ports.monitor);
  await monitor.start();
  const groups = ports.nodes.map((p, i) => new PostgresGroup(monitor, `shard${i}`, p));
  try {
    // One after the other: each creation is a burst of initdb, base backup and restarts.
    for (const group of groups) await group.start();
  } catch (err) {
    await Promise.all(groups.map((g) => Promise.all(g.nodes.map((n) => n.kill()))));
    await monitor.node.kill();
    throw err;
  }
  return { monitor, groups };
}

interface GroupPorts {
  monitor: number;
  nodes: [number, number][];
}

async function chosenPorts(file: string, count: number): Promise<GroupPorts> {
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as GroupPorts;
    if (saved.nodes.length === count) return saved;
    throw new Error(`${file} has ${saved.nodes.length} shard groups, not ${count}; remove ${dirname(file)} to start afresh`);
  }
  const ports: GroupPorts = { monitor: await freePort(), nodes: [] };
  for (let i = 0; i < count; i++) ports.nodes.push([await freePort(), await freePort()]);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(ports)}\n`);
  return ports;
}
