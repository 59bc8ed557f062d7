import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaries } from './binaries.ts';
import { freePort, portOr } from './ports.ts';
import { stopStale } from './postgres.ts';
import { ManagedProcess } from './process.ts';
import { redisCall } from './resp.ts';
import { GiveUp, waitFor } from './wait.ts';

const run = promisify(execFile);

/** 3 primaries, each with one replica: the smallest cluster that survives losing any one node. */
const primaries = 3;
const nodeCount = primaries * 2;
const allSlots = 16_384;

export interface RedisClusterOptions {
  /** First client port (the others follow it when free); random free ports otherwise. */
  firstPort?: number;
  /**
   * `cluster-node-timeout`: how long a primary may not answer before it counts as failing. Short, so
   * a killed primary's replica takes over within a few seconds (node timeout + election).
   */
  nodeTimeoutMs?: number;
}

/** One node of the cluster as the cluster sees it (CLUSTER NODES of a running node). */
export interface RedisClusterNode {
  /** Position in the cluster's node list (0-5); a node keeps it across kills and restarts. */
  index: number;
  port: number;
  /** The cluster's id of the node (40 hex digits). */
  id: string;
  role: 'primary' | 'replica';
  /** A replica's primary (its index). */
  primary?: number;
  /** A primary's replicas (their indexes). */
  replicas: number[];
  /** Slots a primary serves, and the lowest of them (-1 for none). */
  slots: number;
  firstSlot: number;
  /** Whether the process runs (false after a kill, until `restart`). */
  running: boolean;
  /** Whether the cluster flags the node as failing (`fail` or `fail?`). */
  failing: boolean;
}

/**
 * A private Redis Cluster: 3 primaries + 3 replicas of Debian's redis-server, formed with
 * `redis-cli --cluster create`. Like the single Redis it keeps no data on disk (no RDB, no AOF;
 * replicas load a full sync in memory); only each node's `nodes.conf`, so a killed node restarted
 * by a fault test rejoins the cluster it knew (as a replica of whoever took over its slots).
 */
export class RedisCluster {
  private constructor(
    readonly dir: string,
    private readonly members: ClusterMember[],
  ) {}

  /** Picks the ports (client ports and cluster-bus ports) and prepares a cluster under `dir`. */
  static async create(dir: string, options: RedisClusterOptions = {}): Promise<RedisCluster> {
    const nodeTimeoutMs = options.nodeTimeoutMs ?? 1500;
    const members: ClusterMember[] = [];
    for (let index = 0; index < nodeCount; index++) {
      const port = options.firstPort ? await portOr(options.firstPort + index) : await freePort();
      // The bus port is chosen too, not Redis's default of port + 10000 (which may be taken).
      members.push(new ClusterMember(index, join(dir, `node-${index}`), port, await freePort(), nodeTimeoutMs));
    }
    return new RedisCluster(dir, members);
  }

  /** Every node as a seed (`redis-cluster://`, packages/platform `createRedis`). */
  get url(): string {
    return `redis-cluster://${this.members.map((m) => `127.0.0.1:${m.port}`).join(',')}`;
  }

  get ports(): number[] {
    return this.members.map((m) => m.port);
  }

  /** Process ids of the running nodes. */
  get pids(): number[] {
    return this.members.flatMap((m) => (m.pid ? [m.pid] : []));
  }

  /** Each node's process id by node index, undefined while it is down (the bench counts their CPU). */
  get nodePids(): (number | undefined)[] {
    return this.members.map((m) => m.pid);
  }

  /** Starts 6 empty nodes, forms the cluster and waits until every primary has its replica in sync. */
  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    // A fresh cluster each time: the data is gone anyway (nothing on disk), and ports may differ.
    await Promise.all(this.members.map((m) => m.start({ fresh: true })));
    const addresses = this.members.map((m) => `127.0.0.1:${m.port}`);
    try {
      const { stdout } = await run(
        binaries.redisCli(),
        ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'],
        { timeout: 120_000 },
      );
      writeFileSync(join(this.dir, 'cluster-create.log'), stdout);
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      throw new Error(`redis-cli --cluster create failed: ${(err as Error).message}\n${stdout}${stderr}`);
    }
    await this.waitUntilComplete();
  }

  /** The cluster's nodes with their roles, as a running node sees them. */
  async nodes(): Promise<RedisClusterNode[]> {
    let lastError: unknown;
    for (const member of this.members.filter((m) => m.running)) {
      try {
        return this.parseNodes(String(await redisCall(member.port, ['CLUSTER', 'NODES'])));
      } catch (err) {
        lastError = err;
      }
    }
    throw new Error(`no node of the Redis Cluster answers: ${(lastError as Error | undefined)?.message ?? 'none runs'}`);
  }

  /**
   * `kill -9` of the primary serving the `i`-th third of the slots (0: the one with slot 0); returns
   * that node as it was just before (its `replicas` are the nodes that may take over).
   */
  async killPrimary(i: number): Promise<RedisClusterNode> {
    const serving = (await this.nodes())
      .filter((n) => n.role === 'primary' && n.slots > 0 && n.running && !n.failing)
      .sort((a, b) => a.firstSlot - b.firstSlot);
    const node = serving[i];
    if (!node) throw new Error(`no serving primary number ${i} (${serving.length} serve)`);
    await this.members[node.index]!.kill();
    return { ...node, running: false };
  }

  /** `kill -9` of any node. */
  async kill(index: number): Promise<void> {
    await this.member(index).kill();
  }

  /** Starts a killed or stopped node again; it rejoins with the `nodes.conf` it kept. */
  async restart(index: number): Promise<void> {
    await this.member(index).start({ fresh: false });
  }

  /**
   * Waits until the cluster serves every slot again: each running node says `cluster_state:ok`
   * and sees all 16384 slots on running primaries that no one flags as failing (after a kill: the
   * replica has taken over and every node knows).
   */
  async waitUntilOk(timeoutMs = 60_000): Promise<void> {
    await waitFor('the Redis Cluster to serve every slot', () => this.isOk(), { timeoutMs });
  }

  /** `waitUntilOk`, with every node running and every primary's replica in sync with it. */
  async waitUntilComplete(timeoutMs = 120_000): Promise<void> {
    await waitFor(
      'every Redis Cluster node to be up, each primary with a replica in sync',
      async () => {
        if (!this.members.every((m) => m.running)) throw new GiveUp('a node of the Redis Cluster is not running');
        if (!(await this.isOk())) return false;
        const nodes = await this.nodes();
        const serving = nodes.filter((n) => n.role === 'primary' && n.slots > 0);
        if (serving.length !== primaries) return false;
        for (const primary of serving) {
          const replicas = primary.replicas.map((i) => nodes[i]!).filter((r) => !r.failing);
          if (replicas.length === 0) return false;
          for (const replica of replicas) {
            const info = String(await redisCall(replica.port, ['INFO', 'replication']));
            if (!/master_link_status:up/.test(info)) return false;
          }
        }
        return true;
      },
      { timeoutMs },
    );
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop()));
  }

  private async isOk(): Promise<boolean> {
    const running = this.members.filter((m) => m.running);
    for (const member of running) {
      const info = String(await redisCall(member.port, ['CLUSTER', 'INFO']));
      if (!/cluster_state:ok/.test(info)) return false;
      const view = this.parseNodes(String(await redisCall(member.port, ['CLUSTER', 'NODES'])));
      const served = view
        .filter((n) => n.role === 'primary' && n.running && !n.failing)
        .reduce((sum, n) => sum + n.slots, 0);
      if (served !== allSlots) return false;
    }
    return running.length > 0;
  }

  private member(index: number): ClusterMember {
    const member = this.members[index];
    if (!member) throw new Error(`no Redis Cluster node ${index}`);
    return member;
  }

  /** CLUSTER NODES: `<id> <ip:port@bus> <flags> <primary id|-> <ping> <pong> <epoch> <link> <slots...>`. */
  private parseNodes(text: string): RedisClusterNode[] {
    const lines = text.trim().split('\n').map((line) => line.trim().split(' '));
    const byId = new Map<string, number>();
    for (const [id, address] of lines) {
      const port = Number(address!.split('@')[0]!.split(':').pop());
      const index = this.members.findIndex((m) => m.port === port);
      if (index >= 0) byId.set(id!, index);
    }
    const nodes = this.members.map((m, index): RedisClusterNode => ({
      index,
      port: m.port,
      id: '',
      role: 'replica',
      replicas: [],
      slots: 0,
      firstSlot: -1,
      running: m.running,
      failing: false,
    }));
    for (const [id, , flags, primaryId, , , , , ...slotRanges] of lines) {
      const index = byId.get(id!);
      if (index === undefined) continue;
      const node = nodes[index]!;
      const flagList = flags!.split(',');
      node.id = id!;
      node.role = flagList.includes('master') ? 'primary' : 'replica';
      node.failing = flagList.includes('fail') || flagList.includes('fail?');
      if (primaryId !== '-') node.primary = byId.get(primaryId!);
      // Ranges `a-b` or single slots; `[slot->-id]` entries are slots being migrated (never here).
      for (const range of slotRanges.filter((r) => !r.startsWith('['))) {
        const [from, to = from] = range.split('-').map(Number) as [number, number?];
        node.slots += to! - from + 1;
        if (node.firstSlot < 0 || from < node.firstSlot) node.firstSlot = from;
      }
    }
    for (const node of nodes) if (node.role === 'replica' && node.primary !== undefined) nodes[node.primary]!.replicas.push(node.index);
    return nodes;
  }
}

/** One redis-server of the cluster. */
class ClusterMember {
  private process: ManagedProcess | undefined;

  constructor(
    readonly index: number,
    readonly dir: string,
    readonly port: number,
    readonly busPort: number,
    private readonly nodeTimeoutMs: number,
  ) {}

  get running(): boolean {
    return this.process?.running ?? false;
  }

  get pid(): number | undefined {
    return this.running ? this.process!.pid : undefined;
  }

  /** `fresh`: forget any earlier cluster (a new one is formed); else rejoin with `nodes.conf`. */
  async start({ fresh }: { fresh: boolean }): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const pidFile = join(this.dir, 'redis.pid');
    stopStale(pidFile, 'SIGTERM');
    if (fresh) rmSync(join(this.dir, 'nodes.conf'), { force: true });
    const process = new ManagedProcess({
      name: `redis-cluster-${this.index}`,
      command: binaries.redis(),
      args: [
        '--port', String(this.port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-config-file', 'nodes.conf',
        '--cluster-port', String(this.busPort),
        '--cluster-node-timeout', String(this.nodeTimeoutMs),
        // Slots of healthy primaries keep answering while one primary is down (not CLUSTERDOWN for all).
        '--cluster-require-full-coverage', 'no',
        // Nothing is persisted, so a replica's data is never "too old" to take over with.
        '--cluster-replica-validity-factor', '0',
        // No data on disk: no RDB, no AOF; a full sync is streamed and loaded in memory, at once.
        '--save', '',
        '--appendonly', 'no',
        '--repl-diskless-sync', 'yes',
        '--repl-diskless-sync-delay', '0',
        '--repl-diskless-load', 'swapdb',
        '--dir', this.dir,
        '--pidfile', pidFile,
        '--logfile', join(this.dir, 'redis.log'),
        '--maxclients', '10000',
      ],
      logFile: join(this.dir, 'redis.out'),
    });
    this.process = process;
    await waitFor(`Redis Cluster node ${this.index} on port ${this.port}`, async () => {
      if (!process.running) throw new GiveUp(`redis-server exited; see ${join(this.dir, 'redis.log')}`);
      return (await redisCall(this.port, ['PING'], 1000)) === 'PONG';
    });
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }

  async kill(): Promise<void> {
    await this.process?.kill();
  }
}

/**
 * Error replies the nodes on `ports` have sent since they started, by error code, summed
 * (`INFO errorstats`: `CROSSSLOT`, `MOVED`, `CLUSTERDOWN`, ...). Tests assert that no command ever
 * spanned two slots: `CROSSSLOT` stays absent.
 */
export async function clusterErrorCounts(ports: number[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const port of ports) {
    const info = String(await redisCall(port, ['INFO', 'errorstats']));
    for (const [, code, count] of info.matchAll(/^errorstat_([A-Z_-]+):count=(\d+)/gm)) {
      counts[code!] = (counts[code!] ?? 0) + Number(count);
    }
  }
  return counts;
}

/** The hash slot of each key (CLUSTER KEYSLOT on the node at `port`): shows how a test's keys spread. */
export async function keySlots(port: number, keys: string[]): Promise<number[]> {
  const slots: number[] = [];
  for (const key of keys) slots.push(Number(await redisCall(port, ['CLUSTER', 'KEYSLOT', key])));
  return slots;
}

/**
 * Which primary `redis-cli --cluster create` gave a slot to, numbered by their lowest slot (as
 * `killPrimary` numbers them): 0-5460, 5461-10922, 10923-16383. Tests pick keys on each primary with it.
 */
export function initialPrimaryOf(slot: number): number {
  return slot <= 5460 ? 0 : slot <= 10922 ? 1 : 2;
}
