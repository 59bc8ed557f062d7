import type { KV, KvEntry } from '@nats-io/kv';
import type { Logger } from '@onevote/platform';
import type { ElectionConfig } from './publisher.ts';

export type ConfigListener = (id: string, config: ElectionConfig | undefined) => void;

export interface CacheOptions {
  logger: Logger;
  /** Safety net: re-read every key this often, whatever the watch delivered. */
  resyncIntervalMs?: number;
}

/**
 * An in-memory copy of every election config, kept current by a KV watch (changes arrive within
 * milliseconds) and by a periodic re-read that heals anything a watch lost across a NATS restart.
 * Reads are synchronous map lookups: this is what the hot path consults.
 *
 * On a NATS cluster a watch can die silently: its consumer lives on one node (the bucket's leader),
 * and when that node dies the client notices only after two missed 30 s heartbeats. The re-read then
 * still carries every change (within `resyncIntervalMs`), and a re-read that finds a revision the
 * watch had not delivered by the re-read before is a dead watch: it is started again.
 */
export class ElectionConfigCache {
  private readonly configs = new Map<string, ElectionConfig>();
  private readonly revisions = new Map<string, number>();
  private readonly listeners = new Set<ConfigListener>();
  private stopped = false;
  private resyncTimer: NodeJS.Timeout | undefined;
  private watchLoop: Promise<void> | undefined;
  /** The newest revision the current watch (or the ones before it) delivered. */
  private watchedRevision = 0;
  /** The oldest revision the last re-read found that the watch had not delivered. */
  private unwatchedRevision: number | undefined;
  private restarts = 0;

  private constructor(
    private readonly kv: KV,
    private readonly options: CacheOptions,
  ) {}

  /** Loads every config, then keeps watching; resolves once the copy is complete. */
  static async start(kv: KV, options: CacheOptions): Promise<ElectionConfigCache> {
    const cache = new ElectionConfigCache(kv, options);
    await cache.resync();
    cache.watchLoop = cache.watchForever();
    cache.resyncTimer = setInterval(() => {
      cache
        .resync()
        .catch((err) =>
          options.logger.warn({ err: (err as Error).message }, 'election config resync failed'),
        );
    }, options.resyncIntervalMs ?? 5000);
    cache.resyncTimer.unref();
    return cache;
  }

  get(id: string): ElectionConfig | undefined {
    return this.configs.get(id);
  }

  all(): ElectionConfig[] {
    return [...this.configs.values()];
  }

  /** How often the watch was found dead by a re-read and started again (for tests and logs). */
  get watchRestarts(): number {
    return this.restarts;
  }

  /** Called after each change (and on delete with `undefined`). */
  onChange(listener: ConfigListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    this.currentWatch?.stop();
    await this.watchLoop;
  }

  private currentWatch: { stop(): void } | undefined;

  private async watchForever() {
    while (!this.stopped) {
      try {
        const watch = await this.kv.watch();
        this.currentWatch = watch;
        // stop() may have run while the watch was being created: it had nothing to stop then.
        if (this.stopped) {
          watch.stop();
          break;
        }
        for await (const entry of watch) {
          this.watchedRevision = Math.max(this.watchedRevision, entry.revision);
          this.apply(entry);
        }
      } catch (err) {
        if (!this.stopped)
          this.options.logger.warn(
            { err: (err as Error).message },
            'election config watch ended; restarting',
          );
      }
      // No watch runs until the next one is made (a re-read meanwhile has none to find dead).
      this.currentWatch = undefined;
      if (!this.stopped) {
        await new Promise((r) => setTimeout(r, 250));
        // A new watch re-delivers the last value of every key; a re-read covers the gap as well.
        await this.resync().catch(() => {});
      }
    }
  }

  private async resync() {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    const present = new Set(keys);
    let unwatched: number | undefined;
    for (const key of keys) {
      const entry = await this.kv.get(key);
      if (!entry) continue;
      if (entry.revision > this.watchedRevision) unwatched = Math.min(unwatched ?? entry.revision, entry.revision);
      this.apply(entry);
    }
    // A healthy watch delivers within milliseconds what a re-read may see first; still missing at the
    // next re-read, it never will be.
    if (this.unwatchedRevision !== undefined && this.watchedRevision < this.unwatchedRevision && this.currentWatch) {
      this.options.logger.warn(
        { revision: this.unwatchedRevision, watched: this.watchedRevision },
        'election config watch missed a change; starting it again',
      );
      this.restarts++;
      this.currentWatch.stop();
      this.currentWatch = undefined;
      unwatched = undefined;
    }
    this.unwatchedRevision = unwatched;
    for (const id of [...this.configs.keys()]) {
      if (!present.has(id)) this.remove(id);
    }
  }

  private apply(entry: KvEntry) {
    // Revisions only move forward: a late re-read never undoes a newer watched change.
    const known = this.revisions.get(entry.key) ?? 0;
    if (entry.revision <= known) return;
    this.revisions.set(entry.key, entry.revision);
    if (entry.operation !== 'PUT') {
      this.remove(entry.key);
      return;
    }
    let config: ElectionConfig;
    try {
      config = entry.json<ElectionConfig>();
    } catch {
      this.options.logger.error({ key: entry.key }, 'election config is not JSON; ignored');
      return;
    }
    this.configs.set(entry.key, config);
    this.notify(entry.key, config);
  }

  private remove(id: string) {
    if (!this.configs.delete(id)) return;
    this.notify(id, undefined);
  }

  private notify(id: string, config: ElectionConfig | undefined) {
    // A throwing listener must not end the watch (the next entries would wait for a new watch) nor
    // keep the listeners after it from hearing of the change.
    for (const listener of this.listeners) {
      try {
        listener(id, config);
      } catch (err) {
        this.options.logger.error({ err, electionId: id }, 'election config listener failed');
      }
    }
  }
}
