import { AppError, type Logger } from '@onevote/platform';
import type { MetricsSource } from '../adapters/metrics-source.ts';
import { operationsMetricNames, operationsSnapshot, type Scrape, type Snapshot } from '../domain/operations.ts';

export interface OperationsOptions {
  /** One scrape per this many ms, shared by every viewer (OPERATIONS_SCRAPE_MS). */
  intervalMs: number;
  /** Frames of history a new viewer gets first. */
  historyFrames: number;
  /** Scrapes percentiles and the batch size are computed over (10 at 1 s). */
  windowFrames: number;
  /** The loop keeps running this long after its last viewer or one-shot read. */
  idleMs: number;
}

export type Listener = (snapshot: Snapshot) => void;

/** What the loop reports about itself (ballot's registry: operations_scrapes_total, operations_viewers). */
export interface OperationsMetrics {
  scrapes: { inc(): void };
  viewers: { set(n: number): void };
}

const names: ReadonlySet<string> = new Set(operationsMetricNames);

/**
 * The live operations view: ONE scrape loop per ballot process, whatever the number of admins
 * watching. It runs while someone watches (or read a snapshot less than `idleMs` ago); each tick
 * scrapes every service once, keeps the last few minutes of scrapes, and hands each subscribed
 * scope (every election, or one) its frame, computed once per tick for all its viewers.
 */
export class OperationsMonitor {
  private readonly scrapes: Scrape[] = [];
  private readonly listeners = new Map<string | null, Set<Listener>>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private lastUse = 0;
  private waiting: (() => void)[] = [];
  /** Ticks so far (the tests and the idle check read it). */
  ticks = 0;

  constructor(
    private readonly source: MetricsSource,
    private readonly options: OperationsOptions,
    private readonly logger: Logger,
    private readonly metrics?: OperationsMetrics,
  ) {}

  /** Frames of `electionId` (null: every election), history first; returns the unsubscribe. */
  subscribe(electionId: string | null, listener: Listener): () => void {
    let set = this.listeners.get(electionId);
    if (!set) this.listeners.set(electionId, (set = new Set()));
    set.add(listener);
    this.metrics?.viewers.set(this.viewers());
    this.use();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(electionId);
      this.metrics?.viewers.set(this.viewers());
      this.lastUse = Date.now();
    };
  }

  /** The frames of the scrapes kept, oldest first (at most `historyFrames`). */
  history(electionId: string | null): Snapshot[] {
    const out: Snapshot[] = [];
    const first = Math.max(1, this.scrapes.length - this.options.historyFrames);
    for (let i = first; i < this.scrapes.length; i++) out.push(this.frameAt(i, electionId));
    return out;
  }

  /** The latest frame, after starting the loop and waiting for its first two scrapes if it was idle. */
  async snapshot(electionId: string | null): Promise<Snapshot> {
    this.use();
    while (this.scrapes.length < 2 || this.stale()) {
      if (!this.running) throw new AppError('unavailable', { detail: 'the operations view is stopping', retryAfter: 1 });
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return this.frameAt(this.scrapes.length - 1, electionId);
  }

  /** Viewers now, by scope (null: the overall view). */
  viewers(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  stop(): void {
    this.stopped = true;
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const resolve of this.waiting.splice(0)) resolve();
  }

  private stale(): boolean {
    const last = this.scrapes.at(-1);
    return !last || Date.now() - last.at > 3 * this.options.intervalMs;
  }

  private use(): void {
    this.lastUse = Date.now();
    if (this.running || this.stopped) return;
    this.running = true;
    // Scrapes left from an earlier run are too old to take rates from.
    this.scrapes.length = 0;
    void this.tick();
  }

  private frameAt(i: number, electionId: string | null): Snapshot {
    const now = this.scrapes[i]!;
    const previous = this.scrapes[Math.max(0, i - 1)]!;
    const windowStart = this.scrapes[Math.max(0, i - this.options.windowFrames)]!;
    return operationsSnapshot({ now, previous, windowStart }, electionId);
  }

  private async tick(): Promise<void> {
    if (!this.running) return;
    const started = Date.now();
    try {
      const targets = await this.source.scrape(names);
      this.scrapes.push({ at: Date.now(), targets });
      const keep = this.options.historyFrames + this.options.windowFrames + 1;
      if (this.scrapes.length > keep) this.scrapes.splice(0, this.scrapes.length - keep);
      this.ticks++;
      this.metrics?.scrapes.inc();
      if (this.scrapes.length >= 2) this.deliver();
    } catch (err) {
      this.logger.warn({ err }, 'operations scrape failed');
    }
    for (const resolve of this.waiting.splice(0)) resolve();
    if (this.listeners.size === 0 && Date.now() - this.lastUse > this.options.idleMs) {
      this.running = false;
      return;
    }
    if (!this.running) return;
    // Every interval from the start of the last tick: a slow scrape does not stretch the period.
    this.timer = setTimeout(() => void this.tick(), Math.max(0, this.options.intervalMs - (Date.now() - started)));
    this.timer.unref();
  }

  private deliver(): void {
    const last = this.scrapes.length - 1;
    for (const [electionId, set] of this.listeners) {
      const frame = this.frameAt(last, electionId);
      for (const listener of set) {
        try {
          listener(frame);
        } catch (err) {
          this.logger.warn({ err }, 'operations viewer failed');
        }
      }
    }
  }
}
