import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsNamesInUse, NatsUser } from '@onevote/contracts';
import { binaries } from './binaries.ts';
import { type NatsPasswords, natsAuthorization, natsServiceUrls, natsUserUrl, newNatsPasswords } from './nats.ts';
import { freePort, portOr } from './ports.ts';
import { stopStale } from './postgres.ts';
import { ManagedProcess } from './process.ts';
import { GiveUp, waitFor } from './wait.ts';

/** The ports of one node: clients, the other nodes (routes), and HTTP monitoring. */
export interface NatsNodePorts {
  client: number;
  route: number;
  monitor: number;
}

export interface NatsClusterOptions {
  /** As for `NatsServer`: the bucket and streams the services' permissions name, or `*`. */
  names: NatsNamesInUse | '*';
  /** The cluster's name (`cluster.name`; every node must have the same). */
  name?: string;
}

/** What one node's `/jsz?streams=true` says of one stream: its own copy, and who leads it. */
export interface NodeStreamView {
  /** The node's `server_name` of the stream's leader, as this node sees it ('' during an election). */
  leader: string;
  /** Every peer the stream is placed on (this node and the others it knows of), by `server_name`. */
  peers: string[];
  /** The last sequence number in this node's own copy. */
  lastSeq: number;
  messages: number;
}

/**
 * The peers a JetStream stream's or consumer's info names in `cluster` (its leader and the others;
 * a just-made one may list all of them as replicas before it has a leader).
 */
export function peersOf(cluster: { leader?: string; replicas?: { name: string }[] } | undefined): string[] {
  return [...new Set([cluster?.leader, ...(cluster?.replicas ?? []).map((r) => r.name)].filter((n): n is string => !!n))].sort();
}

interface JszStream {
  name: string;
  cluster?: { leader?: string; replicas?: { name: string; current?: boolean }[] };
  state: { last_seq: number; messages: number };
}

interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number; replicas?: { name: string; current: boolean }[] };
  account_details?: { stream_detail?: JszStream[] }[];
}

/**
 * A NATS cluster of `nodes.length` (3) nats-server processes with JetStream, on 127.0.0.1: routes
 * between every pair (authenticated, so no other local process can join), each node its own
 * `server_name` and store directory, and the same users with the same least-privilege permissions
 * as the one-server `NatsServer` (a client may connect to any node). Streams and KV buckets made
 * with replicas 3 live on every node, so one node may die (kill -9) and the others elect new
 * leaders and carry on; started again, it rejoins with its store and catches up.
 */
export class NatsCluster {
  private readonly processes: (ManagedProcess | undefined)[];
  /** Nodes meant to be running (started and not killed or stopped since): one that exits is an error. */
  private readonly wanted: boolean[];
  private readonly passwords: NatsPasswords;
  /** Routes authenticate too: no process but a node of this cluster joins it. */
  private readonly routePassword = randomBytes(18).toString('base64url');
  readonly name: string;

  /** Picks ports (the preferred ones for node 0 when free; `npm start` documents those). */
  static async create(
    dir: string,
    options: NatsClusterOptions & { size?: number; preferred?: { client?: number; monitor?: number } },
  ): Promise<NatsCluster> {
    const nodes: NatsNodePorts[] = [];
    for (let i = 0; i < (options.size ?? 3); i++) {
      nodes.push({
        client: i === 0 ? await portOr(options.preferred?.client) : await freePort(),
        route: await freePort(),
        monitor: i === 0 ? await portOr(options.preferred?.monitor) : await freePort(),
      });
    }
    return new NatsCluster(dir, nodes, options);
  }

  constructor(
    readonly dir: string,
    readonly nodes: NatsNodePorts[],
    private readonly options: NatsClusterOptions = { names: '*' },
  ) {
    this.processes = nodes.map(() => undefined);
    this.wanted = nodes.map(() => false);
    this.passwords = newNatsPasswords();
    this.name = options.name ?? 'onevote';
  }

  /** Node `i`'s `server_name` (what `/jsz` names leaders and peers by). */
  serverName(i: number): string {
    return `nats-${i}`;
  }

  /** The node index of a `server_name`, or undefined. */
  indexOf(serverName: string): number | undefined {
    const i = this.nodes.findIndex((_, j) => this.serverName(j) === serverName);
    return i >= 0 ? i : undefined;
  }

  /** An unrestricted user, every node's URL (comma-separated): test harnesses and tools. */
  get url(): string {
    return this.urlFor('admin');
  }

  /** A user's URL naming every node: the client connects to any and fails over to the others. */
  urlFor(user: 'admin' | NatsUser): string {
    return this.nodes.map((n) => natsUserUrl(user, this.passwords, n.client)).join(',');
  }

  /** Every service's URL (all nodes), for the stack. */
  get serviceUrls(): Record<NatsUser, string> {
    return natsServiceUrls((u) => this.urlFor(u));
  }

  /** Node `i`'s monitoring endpoint (`/jsz`, `/healthz`, `/routez`; JSON, 127.0.0.1 only). */
  monitorUrl(i: number): string {
    return `http://127.0.0.1:${this.nodes[i]!.monitor}`;
  }

  /** Whether node `i`'s process is running. */
  running(i: number): boolean {
    return this.processes[i]?.running ?? false;
  }

  /** Node `i`'s process id, while it runs. */
  pid(i: number): number | undefined {
    const p = this.processes[i];
    return p?.running ? p.pid : undefined;
  }

  /**
   * With no index: starts every node and waits until the cluster has formed (every node routed to
   * every other, JetStream up, a meta leader counting every node current). With one: starts that
   * node again on its store and waits until it has rejoined the same way and its copies of the
   * streams have caught up with their leaders.
   */
  async start(i?: number): Promise<void> {
    if (i === undefined) {
      for (let j = 0; j < this.nodes.length; j++) this.spawn(j);
    } else {
      this.spawn(i);
    }
    await this.waitFormed();
  }

  /** kill -9 of node `i` (fault tests). */
  async kill(i: number): Promise<void> {
    this.wanted[i] = false;
    await this.processes[i]?.kill();
  }

  /** With no index, stops every node; with one, that node (a clean shutdown). */
  async stop(i?: number): Promise<void> {
    if (i !== undefined) {
      this.wanted[i] = false;
      await this.processes[i]?.stop();
      return;
    }
    this.wanted.fill(false);
    await Promise.all(this.processes.map((p) => p?.stop()));
  }

  /**
   * Waits until every running node is routed to every other, has JetStream up, is a current member
   * under a running meta leader, and is current on every stream it holds (as the stream's leader sees it).
   */
  async waitFormed(timeoutMs = 90_000): Promise<void> {
    await waitFor(
      `the NATS cluster (${this.nodes.length} nodes) to form with a JetStream meta leader`,
      async () => {
        const nodes = this.nodes.map((_, j) => j).filter((j) => this.wanted[j]);
        const dead = nodes.find((j) => !this.running(j));
        if (dead !== undefined) throw new GiveUp(`nats node ${dead} exited:\n${this.processes[dead]?.logTail()}`);
        for (const j of nodes) {
          const routes = (await this.monitor<{ num_routes: number }>(j, '/routez')).num_routes;
          if (routes < nodes.length - 1) throw new Error(`node ${j} has ${routes} routes`);
          // Only that JetStream is up: the full /healthz also wants every consumer current, and on
          // nats-server 2.9 an idle durable's copy on a node started again can stay "not current"
          // until it is used. Streams are checked below, from their leaders.
          const health = await fetch(`${this.monitorUrl(j)}/healthz?js-enabled-only=true`, { signal: AbortSignal.timeout(2000) });
          if (health.status !== 200) throw new Error(`node ${j} /healthz ${health.status}: ${await health.text()}`);
          const leader = (await this.jsz(j)).meta_cluster?.leader;
          const leaderIndex = leader ? this.indexOf(leader) : undefined;
          if (leaderIndex === undefined || !this.running(leaderIndex)) throw new Error(`node ${j} sees no running meta leader`);
        }
        // The meta leader counts every other running node as a current member (a node started
        // again has caught up with where streams are placed).
        const leader = await this.metaLeader();
        const meta = leader === undefined ? undefined : (await this.jsz(leader)).meta_cluster;
        for (const j of nodes) {
          if (j === leader) continue;
          const member = meta?.replicas?.find((r) => r.name === this.serverName(j));
          if (!member?.current) throw new Error(`node ${j} is not a current member of the meta group yet`);
        }
        // Every stream has a leader that counts each of its running peers current: a node started
        // again has caught up, so losing another node next leaves every stream a quorum.
        for (const j of nodes) {
          for (const stream of (await this.jsz(j, true)).account_details?.flatMap((a) => a.stream_detail ?? []) ?? []) {
            if (stream.cluster?.leader !== this.serverName(j)) continue;
            const behind = (stream.cluster.replicas ?? []).find((r) => this.running(this.indexOf(r.name) ?? -1) && !r.current);
            if (behind) throw new Error(`${behind.name} has not caught up with ${stream.name} yet`);
          }
        }
        return true;
      },
      { timeoutMs, intervalMs: 200 },
    );
  }

  /** The meta leader (JetStream's placement of streams), as the first running node sees it. */
  async metaLeader(): Promise<number | undefined> {
    for (let j = 0; j < this.nodes.length; j++) {
      if (!this.running(j)) continue;
      const leader = (await this.jsz(j).catch(() => undefined))?.meta_cluster?.leader;
      if (leader) return this.indexOf(leader);
    }
    return undefined;
  }

  /**
   * The node leading `stream` (a KV bucket's is `KV_<bucket>`), as most running nodes that hold a
   * copy see it; undefined while there is none (an election after its leader died).
   */
  async streamLeader(stream: string): Promise<number | undefined> {
    const votes = new Map<number, number>();
    for (let j = 0; j < this.nodes.length; j++) {
      if (!this.running(j)) continue;
      const view = await this.streamOn(j, stream).catch(() => undefined);
      const leader = view?.leader ? this.indexOf(view.leader) : undefined;
      if (leader !== undefined && this.running(leader)) votes.set(leader, (votes.get(leader) ?? 0) + 1);
    }
    return [...votes].sort((a, b) => b[1] - a[1])[0]?.[0];
  }

  /** What node `i` holds of `stream` (its own copy's last sequence, the leader it knows); undefined if nothing. */
  async streamOn(i: number, stream: string): Promise<NodeStreamView | undefined> {
    const jsz = await this.jsz(i, true);
    const found = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === stream);
    if (!found) return undefined;
    const leader = found.cluster?.leader ?? '';
    return {
      leader,
      // A node lists the stream's other peers as `replicas` (the leader among them, unless it leads).
      peers: [this.serverName(i), ...(found.cluster?.replicas ?? []).map((r) => r.name)].sort(),
      lastSeq: found.state.last_seq,
      messages: found.state.messages,
    };
  }

  /** Node `i`'s `/jsz` (with every stream's details when `streams`). */
  jsz(i: number, streams = false): Promise<Jsz> {
    return this.monitor<Jsz>(i, streams ? '/jsz?streams=true' : '/jsz');
  }

  private async monitor<T>(i: number, path: string): Promise<T> {
    const res = await fetch(`${this.monitorUrl(i)}${path}`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`node ${i} ${path}: ${res.status}`);
    return (await res.json()) as T;
  }

  private spawn(i: number): void {
    this.wanted[i] = true;
    if (this.processes[i]?.running) return;
    const dir = join(this.dir, `node-${i}`);
    mkdirSync(dir, { recursive: true });
    const pidFile = join(dir, 'nats.pid');
    stopStale(pidFile, 'SIGTERM');
    const configFile = join(dir, 'nats.conf');
    const node = this.nodes[i]!;
    const routeUrl = (port: number) => `nats-route://route:${this.routePassword}@127.0.0.1:${port}`;
    // JSON, which nats-server's config format accepts as it is. The same config every start, so a
    // node started again is the same server (name, store) rejoining, not a new peer.
    const config = {
      server_name: this.serverName(i),
      listen: `127.0.0.1:${node.client}`,
      http: `127.0.0.1:${node.monitor}`,
      jetstream: { store_dir: join(dir, 'jetstream') },
      cluster: {
        name: this.name,
        listen: `127.0.0.1:${node.route}`,
        authorization: { user: 'route', password: this.routePassword },
        routes: this.nodes.filter((_, j) => j !== i).map((n) => routeUrl(n.route)),
      },
      authorization: natsAuthorization(this.passwords, this.options.names),
    };
    writeFileSync(configFile, JSON.stringify(config, null, 2), { mode: 0o600 });
    this.processes[i] = new ManagedProcess({
      name: `nats-${i}`,
      command: binaries.nats(),
      args: ['-c', configFile, '-P', pidFile],
      logFile: join(dir, 'nats.log'),
    });
  }
}
