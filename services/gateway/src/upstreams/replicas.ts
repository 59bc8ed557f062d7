import type { Logger } from '@onevote/platform';

/** Why a replica was taken out of the rotation. */
export type DownReason = 'refused' | 'reset' | 'check_failed';

/**
 * One replica of an upstream service and what the gateway knows of its health. A replica is taken
 * out at once when a connection to it is refused or reset (by a proxied request or a health check),
 * or after two health checks in a row that timed out or answered 5xx; only a health check brings it
 * back. Plain fields: the proxy reads them on every request.
 */
export class Replica {
  /** Whether requests go to it. False until the first health check passes. */
  healthy = false;
  /** Requests routed to it (the selection metric; read at scrape time). */
  selected = 0;
  /** `host:port`, the metrics' `replica` label. */
  readonly label: string;
  private slowChecks = 0;
  /** When it was last taken out (performance.now()): a check that started earlier cannot bring it back. */
  private downAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly upstream: string,
    /** `http://host:port`, no path. */
    readonly origin: string,
    private readonly logger: Logger,
  ) {
    this.label = new URL(origin).host;
  }

  /** Out of the rotation now (a refused or reset connection: the replica is not serving). */
  markDown(reason: DownReason): void {
    this.downAt = performance.now();
    this.slowChecks = 0;
    if (!this.healthy) return;
    this.healthy = false;
    this.logger.warn({ upstream: this.upstream, replica: this.label, reason }, 'replica down: no more requests to it');
  }

  /** A health check that started at `startedAt` got an answer below 500. */
  checkPassed(startedAt: number): void {
    // A check already on its way when a request found the replica dead says nothing new.
    if (startedAt < this.downAt) return;
    this.slowChecks = 0;
    if (this.healthy) return;
    this.healthy = true;
    this.logger.info({ upstream: this.upstream, replica: this.label }, 'replica up: requests go to it');
  }

  /** A health check timed out or answered 5xx: one such check on a busy machine is not a dead replica, two are. */
  checkFailedSlowly(): void {
    this.slowChecks++;
    if (this.slowChecks >= 2) this.markDown('check_failed');
  }
}

/**
 * The replicas of one upstream. Requests go round robin over the healthy ones: the replicas are
 * the same code on alike machines, and the requests on the hot path (ballots, snapshot reads) cost
 * alike, so round robin spreads them as well as "least outstanding" would, without counting every
 * request in and out (one array walk per request, nothing to undo when it ends). A replica that
 * turns slow rather than dead is the case least-outstanding handles better; the health checks'
 * timeout takes such a replica out once it stops answering within it.
 */
export class ReplicaSet {
  private cursor = 0;

  constructor(
    readonly upstream: string,
    readonly replicas: readonly Replica[],
  ) {}

  /** The next healthy replica other than `except` (counted as selected), or undefined if none is healthy. */
  pick(except?: Replica): Replica | undefined {
    const n = this.replicas.length;
    for (let i = 0; i < n; i++) {
      const replica = this.replicas[(this.cursor + i) % n]!;
      if (!replica.healthy || replica === except) continue;
      this.cursor = (this.cursor + i + 1) % n;
      replica.selected++;
      return replica;
    }
    return undefined;
  }

  get healthyCount(): number {
    let n = 0;
    for (const replica of this.replicas) if (replica.healthy) n++;
    return n;
  }
}
