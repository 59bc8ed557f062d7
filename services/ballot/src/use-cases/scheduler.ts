import type { Logger } from '@onevote/platform';
import type { Elections } from './elections.ts';
import type { Propagation } from './propagation.ts';
import type { Rolls } from './rolls.ts';
import type { VoidHistory } from './void-history.ts';

export interface SchedulerOptions {
  /** How often due elections are moved and pending publishes retried. */
  tickMs: number;
  /** How often every election is compared with the bucket (heals a bucket that lost data). */
  reconcileMs: number;
  /** How often the voter rolls in Redis are checked against PostgreSQL (how fast a flushed one is back). */
  rollSyncMs: number;
}

/**
 * The background loop of every replica: opens and closes elections on schedule, retries publishes
 * that failed, now and then reconciles the whole bucket, and puts back voter rolls Redis lost. Ticks never overlap; every replica
 * runs one, and the conditional updates make each transition happen in exactly one of them.
 */
export class Scheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private lastReconcile = 0;
  private lastRollSync = 0;

  constructor(
    private readonly elections: Elections,
    private readonly propagation: Propagation,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions,
    private readonly rolls?: Pick<Rolls, 'sync'>,
    private readonly voids?: Pick<VoidHistory, 'import'>,
  ) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One pass; exposed so the CLI and tests can run it on demand. */
  async tick(): Promise<void> {
    const { opened, closed } = await this.elections.applySchedule();
    if (opened.length || closed.length) this.logger.info({ opened, closed }, 'scheduled transitions');
    await this.propagation.publishPending();
    // Voids first, so their history entries go out with this tick's events.
    if (this.voids) await this.voids.import();
    await this.propagation.publishEvents();
    if (Date.now() - this.lastReconcile >= this.options.reconcileMs) {
      await this.propagation.reconcile();
      this.lastReconcile = Date.now();
    }
    if (this.rolls && Date.now() - this.lastRollSync >= this.options.rollSyncMs) {
      await this.rolls.sync();
      this.lastRollSync = Date.now();
    }
  }

  private schedule(delayMs: number) {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'scheduler tick failed'))
        .finally(() => this.schedule(this.options.tickMs));
    }, delayMs);
  }
}
