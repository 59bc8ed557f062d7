import type { Logger, Metrics, ReadinessCheck } from '@onevote/platform';
import type { Upstream } from '../http/routing.ts';
import { type HealthCheckOptions, HealthChecks } from './health-checks.ts';
import { type UpstreamMetrics, upstreamMetrics } from './metrics.ts';
import { Replica, ReplicaSet } from './replicas.ts';

/** `http://a:1, http://b:2` -> its origins; empty -> none (the service is not deployed). */
export function replicaOrigins(list: string): string[] {
  return list
    .split(',')
    .map((url) => url.trim())
    .filter(Boolean)
    .map((url) => new URL(url).origin);
}

/** Every deployed upstream's replicas, their health checks and their metrics. */
export class Upstreams {
  readonly sets: Partial<Record<Upstream, ReplicaSet>> = {};
  readonly metrics: UpstreamMetrics;
  private readonly checks: HealthChecks;

  constructor(
    origins: Record<Upstream, string[]>,
    { logger, metrics, checks }: { logger: Logger; metrics: Metrics; checks: HealthCheckOptions },
  ) {
    for (const [upstream, list] of Object.entries(origins) as [Upstream, string[]][]) {
      if (list.length === 0) continue;
      this.sets[upstream] = new ReplicaSet(
        upstream,
        list.map((origin) => new Replica(upstream, origin, logger)),
      );
    }
    const sets = Object.values(this.sets);
    this.metrics = upstreamMetrics(metrics, sets);
    this.checks = new HealthChecks(
      sets.flatMap((set) => set.replicas),
      checks,
    );
  }

  start(): Promise<void> {
    return this.checks.start();
  }

  stop(): Promise<void> {
    return this.checks.stop();
  }

  /** The gateway is ready when every deployed upstream has a replica in the rotation. */
  readiness(): ReadinessCheck[] {
    return Object.values(this.sets).map((set) => ({
      name: set.upstream,
      check: async () => {
        if (set.healthyCount === 0) throw new Error(`none of its ${set.replicas.length} replicas is healthy`);
      },
    }));
  }
}
