import { Client } from 'undici';
import { classify } from './failures.ts';
import type { Replica } from './replicas.ts';

export interface HealthCheckOptions {
  /** Time from one check's start to the next one's (a check never overlaps the one before). */
  intervalMs: number;
  /** A check without an answer in this long has failed. */
  timeoutMs: number;
}

/**
 * Active health checks: `GET /` on each replica's public port, every `intervalMs`. Any answer below
 * 500 (the services answer 404 there) means the process is up and its public listener serves; a
 * draining replica answers 503 (Fastify's return503OnClosing) and is taken out before it stops.
 *
 * The public port, not the operations listener's `/readyz`: what the gateway must know is whether
 * a request sent there gets answered. `/readyz` also checks PostgreSQL, Redis and NATS, which every
 * replica shares: when one of those is away, all replicas would be taken out together and the
 * clients would get the gateway's 503 instead of the service's own answer (a fast 503 with its
 * Retry-After, or a 201 for what needs only the healthy dependencies). Each replica's readiness is
 * the orchestrator's business (a Deployment's readiness probe), as in production.
 *
 * Each replica gets its own one-connection client, kept alive: a check costs one small request,
 * and a killed replica's closed connection is noticed by the next check (connection refused).
 */
export class HealthChecks {
  private readonly clients = new Map<Replica, Client>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly replicas: readonly Replica[],
    private readonly options: HealthCheckOptions,
  ) {
    for (const replica of replicas) {
      this.clients.set(
        replica,
        new Client(replica.origin, {
          pipelining: 1,
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          connect: { timeout: options.timeoutMs },
        }),
      );
    }
  }

  /** Checks every replica once (so the first requests know which are up), then keeps checking. */
  async start(): Promise<void> {
    await Promise.all(this.replicas.map((replica) => this.check(replica)));
    for (const replica of this.replicas) this.schedule(replica, this.options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await Promise.all([...this.clients.values()].map((client) => client.destroy()));
  }

  private schedule(replica: Replica, delayMs: number) {
    if (this.stopped) return;
    const timer = setTimeout(async () => {
      this.timers.delete(timer);
      const startedAt = performance.now();
      await this.check(replica);
      this.schedule(replica, Math.max(0, this.options.intervalMs - (performance.now() - startedAt)));
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private async check(replica: Replica): Promise<void> {
    const client = this.clients.get(replica)!;
    const startedAt = performance.now();
    try {
      // A native timer: undici's own headersTimeout ticks in about half-second steps.
      const res = await client.request({
        path: '/',
        method: 'GET',
        headers: { 'user-agent': 'onevote-gateway-health' },
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      await res.body.dump();
      if (res.statusCode < 500) replica.checkPassed(startedAt);
      else replica.checkFailedSlowly();
    } catch (err) {
      if (this.stopped) return;
      const failure = classify(err);
      if (failure === 'not_connected') replica.markDown('refused');
      else if (failure === 'reset') replica.markDown('reset');
      else replica.checkFailedSlowly();
    }
  }
}
