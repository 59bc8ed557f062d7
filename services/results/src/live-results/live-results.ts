import type { ElectionConfig } from '@onevote/election-config';
import { type Logger, withSpan, withSpanSync } from '@onevote/platform';
import type { TallyRepository } from '../adapters/tally.repository.ts';
import { buildResults, type ResultsDocument, resultsVersion, type TallySums } from '../domain/results.ts';
import type { ResultsMetrics } from '../metrics.ts';

/** One version of an election's results, serialised once and shared by every reader and stream. */
export interface Snapshot {
  version: number;
  document: ResultsDocument;
  /** The JSON body (also each WebSocket message). */
  json: Buffer;
  etag: string;
  /** The whole SSE frame: `id`, `event: results`, `data`. */
  sse: Buffer;
}

/** A stream (SSE or WebSocket) that receives each new snapshot of one election. */
export interface Subscriber {
  /** The newest version this client has; older or equal snapshots are not sent to it. */
  lastVersion: number;
  deliver(snapshot: Snapshot): void;
  close(): void;
}

/** What the service needs of the election config cache (labels, status, visibility). */
export interface ElectionConfigs {
  get(id: string): ElectionConfig | undefined;
  all(): ElectionConfig[];
  onChange(listener: (id: string, config: ElectionConfig | undefined) => void): () => void;
}

export interface LiveResultsOptions {
  tallies: TallyRepository;
  configs: ElectionConfigs;
  logger: Logger;
  metrics: ResultsMetrics;
  rereadIntervalMs: number;
  frameIntervalMs: number;
  finalSettleMs: number;
}

type ReadTrigger = 'load' | 'notification' | 'settle';

interface ElectionTally {
  id: string;
  config: ElectionConfig;
  sums: TallySums | undefined;
  snapshot: Snapshot | undefined;
  final: boolean;
  /** When a read last found a new tally, or the tally was first loaded (ms). */
  lastChangeAt: number;
  /** When the newest successful read started (ms): `final` needs one that started after the settle. */
  readOkStartedAt: number;
  /** When this process first saw the election closed (ms). */
  closedSeenAt: number | undefined;
  /** The running read loop; at most one per election. */
  reading: Promise<void> | undefined;
  /** Another read is wanted after the running one (a notification arrived meanwhile). */
  dirty: boolean;
  trigger: ReadTrigger;
  frameTimer: NodeJS.Timeout | undefined;
  settleTimer: NodeJS.Timeout | undefined;
  lastFrameAt: number;
  subscribers: Set<Subscriber>;
  /** `committedAt` (ms) of notifications not yet read / read but not yet framed: for the lag metric. */
  noted: number[];
  unframed: number[];
}

// Enough to measure lag under any realistic commit rate without holding memory without bound.
const maxTrackedCommits = 2048;

/**
 * The current tally of every open or closed election, in memory (I4). Kept current by
 * `TallyChanged` notifications (each coalesced into at most one running re-read per election) and
 * by a periodic re-read of all of them that heals any notification that was lost. Changes go out to
 * subscribers at most once per frame interval per election.
 */
export class LiveResults {
  private readonly elections = new Map<string, ElectionTally>();
  private rereadTimer: NodeJS.Timeout | undefined;
  private rereading = false;
  private stopConfigs: (() => void) | undefined;
  private stopped = false;
  private lastReadError = '';

  constructor(private readonly options: LiveResultsOptions) {}

  start(): void {
    for (const config of this.options.configs.all()) this.configChanged(config.id, config);
    this.stopConfigs = this.options.configs.onChange((id, config) => this.configChanged(id, config));
    this.rereadTimer = setInterval(() => void this.rereadAll(), this.options.rereadIntervalMs);
    this.rereadTimer.unref();
  }

  stop(): void {
    this.stopped = true;
    this.stopConfigs?.();
    clearInterval(this.rereadTimer);
    for (const election of this.elections.values()) this.untrack(election);
    this.elections.clear();
  }

  /** The election's config, if it is known and not a draft. */
  config(id: string): ElectionConfig | undefined {
    return this.elections.get(id)?.config;
  }

  /** The current snapshot; waits for the first read. Undefined for unknown elections and drafts. */
  async snapshot(id: string): Promise<Snapshot | undefined> {
    const election = this.elections.get(id);
    if (!election) return undefined;
    if (!election.snapshot) await this.requestRead(election, 'load');
    if (!election.snapshot) throw new TallyUnavailable(id);
    return election.snapshot;
  }

  /**
   * Adds a stream; it gets the current snapshot at once unless it already has that version.
   * Returns the function that removes it.
   */
  async subscribe(id: string, subscriber: Subscriber): Promise<() => void> {
    const snapshot = await this.snapshot(id);
    const election = this.elections.get(id);
    if (!snapshot || !election) throw new TallyUnavailable(id);
    election.subscribers.add(subscriber);
    if (snapshot.version > subscriber.lastVersion) subscriber.deliver(snapshot);
    return () => election.subscribers.delete(subscriber);
  }

  /** A `TallyChanged` notification: re-read that election's sums (coalesced). */
  notify(electionId: string, committedAt: number): void {
    const election = this.elections.get(electionId);
    if (!election || election.final) return;
    if (Number.isFinite(committedAt) && election.noted.length < maxTrackedCommits) {
      election.noted.push(committedAt);
    }
    void this.requestRead(election, 'notification');
  }

  subscriberCount(): number {
    let n = 0;
    for (const e of this.elections.values()) n += e.subscribers.size;
    return n;
  }

  private configChanged(id: string, config: ElectionConfig | undefined) {
    if (this.stopped) return;
    const existing = this.elections.get(id);
    if (!config || config.status === 'draft') {
      // Deleted (or, oddly, a draft again): its streams end; clients reconnect and get 404.
      if (existing) {
        this.untrack(existing);
        this.elections.delete(id);
      }
      return;
    }
    if (!existing) {
      const election: ElectionTally = {
        id,
        config,
        sums: undefined,
        snapshot: undefined,
        final: false,
        lastChangeAt: Date.now(),
        readOkStartedAt: 0,
        closedSeenAt: config.status === 'closed' ? Date.now() : undefined,
        reading: undefined,
        dirty: false,
        trigger: 'load',
        frameTimer: undefined,
        settleTimer: undefined,
        lastFrameAt: 0,
        subscribers: new Set(),
        noted: [],
        unframed: [],
      };
      this.elections.set(id, election);
      void this.requestRead(election, 'load');
      if (config.status === 'closed') this.scheduleSettle(election);
      return;
    }
    const statusChanged = existing.config.status !== config.status;
    existing.config = config;
    if (config.status === 'closed' && existing.closedSeenAt === undefined) {
      existing.closedSeenAt = Date.now();
      this.scheduleSettle(existing);
    }
    if (existing.sums && statusChanged) {
      this.rebuild(existing);
      this.schedulePublish(existing);
    }
  }

  private untrack(election: ElectionTally) {
    clearTimeout(election.frameTimer);
    clearTimeout(election.settleTimer);
    for (const subscriber of election.subscribers) subscriber.close();
    election.subscribers.clear();
  }

  /**
   * Coalescing: at most one read runs per election; requests that arrive meanwhile make exactly one
   * more read after it. Resolves once a read that started after this call has finished.
   */
  private requestRead(election: ElectionTally, trigger: ReadTrigger): Promise<void> {
    election.dirty = true;
    election.trigger = trigger;
    election.reading ??= this.readLoop(election).finally(() => {
      election.reading = undefined;
    });
    return election.reading;
  }

  private async readLoop(election: ElectionTally) {
    while (election.dirty && !this.stopped) {
      election.dirty = false;
      const trigger = election.trigger;
      const included = election.noted;
      election.noted = [];
      const startedAt = Date.now();
      try {
        const sums = (
          await withSpan('results.read_tally', () => this.options.tallies.read([election.id]), {
            attributes: { 'onevote.election_id': election.id, 'onevote.trigger': trigger },
          })
        ).get(election.id);
        if (sums) this.apply(election, sums, included, startedAt);
        this.options.metrics.reads.inc({ trigger, outcome: 'ok' });
      } catch (err) {
        this.options.metrics.reads.inc({ trigger, outcome: 'error' });
        this.readFailed(err);
        return; // the periodic re-read heals it
      }
    }
  }

  /** The safety net (I4): one statement re-reads every election that can still change. */
  private async rereadAll() {
    if (this.rereading || this.stopped) return;
    const live = [...this.elections.values()].filter((e) => !e.final);
    if (live.length === 0) return;
    this.rereading = true;
    const startedAt = Date.now();
    try {
      const all = await this.options.tallies.read(live.map((e) => e.id));
      for (const election of live) {
        const sums = all.get(election.id);
        if (sums && this.elections.get(election.id) === election) this.apply(election, sums, [], startedAt);
      }
      this.options.metrics.reads.inc({ trigger: 'periodic', outcome: 'ok' });
    } catch (err) {
      this.options.metrics.reads.inc({ trigger: 'periodic', outcome: 'error' });
      this.readFailed(err);
    } finally {
      this.rereading = false;
    }
  }

  private readFailed(err: unknown) {
    const message = err instanceof Error ? err.message : String(err);
    // A database that is away fails every read the same way; one line per change is enough.
    if (message !== this.lastReadError) this.options.logger.warn({ err: message }, 'tally read failed');
    this.lastReadError = message;
  }

  /**
   * Applies a read if it is newer than what we have. Reads can finish out of order (a notified read
   * and the periodic one); the ballot count orders them, so an older read never undoes a newer one.
   */
  private apply(election: ElectionTally, sums: TallySums, included: number[], startedAt: number) {
    this.lastReadError = '';
    election.readOkStartedAt = Math.max(election.readOkStartedAt, startedAt);
    const current = election.sums;
    if (current && sums.changes <= current.changes) return;
    election.sums = sums;
    election.lastChangeAt = Date.now();
    if (election.final) {
      // A commit after "final" would be a bug upstream; say so and stop calling it final.
      this.options.logger.error({ electionId: election.id }, 'tally changed after it was final');
      election.final = false;
      this.scheduleSettle(election);
    }
    if (election.subscribers.size > 0) {
      for (const t of included) {
        if (election.unframed.length < maxTrackedCommits) election.unframed.push(t);
      }
    }
    this.rebuild(election);
    if (current) this.schedulePublish(election);
    if (election.config.status === 'closed') this.scheduleSettle(election);
  }

  private rebuild(election: ElectionTally) {
    const sums = election.sums;
    if (!sums) return;
    withSpanSync('results.build_frame', () => this.build(election, sums), {
      attributes: { 'onevote.election_id': election.id, 'onevote.ballots': sums.ballots },
    });
  }

  private build(election: ElectionTally, sums: TallySums) {
    const version = resultsVersion(sums.changes, election.config.status, election.final);
    const document = buildResults(election.config, sums, {
      asOf: new Date().toISOString(),
      final: election.final,
    });
    const text = JSON.stringify(document);
    election.snapshot = {
      version,
      document,
      json: Buffer.from(text),
      etag: `W/"${version}"`,
      sse: Buffer.from(`id: ${version}\nevent: results\ndata: ${text}\n\n`),
    };
  }

  /** At most one frame per frame interval per election; the frame carries the newest snapshot. */
  private schedulePublish(election: ElectionTally) {
    if (election.subscribers.size === 0 || election.frameTimer) return;
    const wait = election.lastFrameAt + this.options.frameIntervalMs - Date.now();
    if (wait <= 0) {
      this.publish(election);
      return;
    }
    election.frameTimer = setTimeout(() => this.publish(election), wait);
  }

  private publish(election: ElectionTally) {
    election.frameTimer = undefined;
    const snapshot = election.snapshot;
    if (!snapshot || this.stopped) return;
    election.lastFrameAt = Date.now();
    withSpanSync(
      'results.send_frame',
      () => {
        for (const subscriber of election.subscribers) {
          if (snapshot.version > subscriber.lastVersion) subscriber.deliver(snapshot);
        }
      },
      { attributes: { 'onevote.election_id': election.id, 'onevote.subscribers': election.subscribers.size } },
    );
    const now = Date.now();
    for (const committedAt of election.unframed) this.options.metrics.lag.observe((now - committedAt) / 1000);
    election.unframed = [];
  }

  /**
   * `final` once the election is closed, nothing changed for the settle period, and a re-read
   * started after that period still shows no change: every commit vote-api accepted before it saw
   * the close is in by then.
   */
  private scheduleSettle(election: ElectionTally, minDelayMs = 0) {
    if (election.final || election.closedSeenAt === undefined) return;
    clearTimeout(election.settleTimer);
    const due = Math.max(election.closedSeenAt, election.lastChangeAt) + this.options.finalSettleMs;
    const delay = Math.max(minDelayMs, due - Date.now());
    election.settleTimer = setTimeout(() => void this.settle(election), delay);
  }

  private async settle(election: ElectionTally) {
    election.settleTimer = undefined;
    if (this.stopped || this.elections.get(election.id) !== election) return;
    const before = election.sums?.changes;
    const startedAt = Date.now();
    await this.requestRead(election, 'settle');
    const reread = election.readOkStartedAt >= startedAt;
    const quiet = Date.now() - election.lastChangeAt >= this.options.finalSettleMs;
    if (!reread || election.sums === undefined || election.sums.changes !== before || !quiet) {
      // A failed re-read retries after a pause rather than in a tight loop.
      this.scheduleSettle(election, reread ? 0 : this.options.finalSettleMs);
      return;
    }
    election.final = true;
    clearTimeout(election.settleTimer);
    this.rebuild(election);
    this.schedulePublish(election);
  }
}

/** The first read of an election failed (PostgreSQL away): answered as 503. */
export class TallyUnavailable extends Error {
  constructor(readonly electionId: string) {
    super(`the tally of ${electionId} could not be read`);
    this.name = 'TallyUnavailable';
  }
}
