import type { Metrics } from '@onevote/platform';
import { Counter, Gauge } from 'prom-client';
import type { Failure } from './failures.ts';
import type { ReplicaSet } from './replicas.ts';

export interface UpstreamMetrics {
  /** A proxied call failed on a replica (`not_connected`: retried elsewhere if it could be). */
  failed(upstream: string, replica: string, failure: Failure): void;
  /** A call that never reached its replica was sent to another one. */
  retried(upstream: string): void;
}

/**
 * Per replica: whether it is in the rotation, and how many requests went to it. Both are read
 * from the replicas' plain fields when Prometheus scrapes, so the proxy pays one integer increment
 * per request and no label lookup.
 */
export function upstreamMetrics(metrics: Metrics, sets: readonly ReplicaSet[]): UpstreamMetrics {
  const registers = [metrics.registry];
  new Gauge({
    name: 'gateway_upstream_healthy',
    help: 'Whether the gateway sends requests to this replica (1) or has taken it out (0)',
    labelNames: ['upstream', 'replica'] as const,
    registers,
    collect() {
      for (const set of sets) {
        for (const r of set.replicas) this.set({ upstream: set.upstream, replica: r.label }, r.healthy ? 1 : 0);
      }
    },
  });
  const reported = new WeakMap<object, number>();
  new Counter({
    name: 'gateway_upstream_selected_total',
    help: 'Requests the gateway routed to this replica (proxied calls, retries and WebSocket upgrades)',
    labelNames: ['upstream', 'replica'] as const,
    registers,
    collect() {
      for (const set of sets) {
        for (const r of set.replicas) {
          this.inc({ upstream: set.upstream, replica: r.label }, r.selected - (reported.get(r) ?? 0));
          reported.set(r, r.selected);
        }
      }
    },
  });
  const failures = new Counter({
    name: 'gateway_upstream_failures_total',
    help: 'Proxied calls that failed on this replica: not_connected (nothing sent), reset (connection lost), other',
    labelNames: ['upstream', 'replica', 'failure'] as const,
    registers,
  });
  const retries = new Counter({
    name: 'gateway_upstream_retries_total',
    help: 'Calls that never reached their replica and were sent to another one',
    labelNames: ['upstream'] as const,
    registers,
  });
  return {
    failed: (upstream, replica, failure) => failures.inc({ upstream, replica, failure }),
    retried: (upstream) => retries.inc({ upstream }),
  };
}
