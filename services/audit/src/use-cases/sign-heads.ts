import type { Logger } from '@onevote/platform';
import type { HeadKeysRepository } from '../adapters/head-keys.repository.ts';
import type { HeadsRepository } from '../adapters/heads.repository.ts';
import type { MerkleRepository } from '../adapters/merkle.repository.ts';
import { signHead } from '../domain/tree-head.ts';
import type { AuditMetrics } from '../metrics.ts';

/** Asks whether an election's results are final, and how many ballots they count. */
export type FinalResults = (electionId: string) => Promise<{ final: boolean; totalBallots: number } | undefined>;

export interface HeadSignerDeps {
  tree: MerkleRepository;
  heads: HeadsRepository;
  keys: HeadKeysRepository;
  finalResults: FinalResults;
  metrics: AuditMetrics;
  logger: Logger;
  /** A log that grew gets a new signed head at most this long after (API.md: at least every second). */
  intervalMs: number;
  /** How often closed elections are checked for their final head. */
  finalCheckMs: number;
}

/**
 * Signs tree heads: every interval, a new head for each log that grew, and once an election is
 * closed and its log holds every ballot the results count, a final head. Heads are signed by the
 * current key; the timestamp is the signing time (RFC 3339).
 */
export class HeadSigner {
  private readonly grown = new Map<string, { publishedAt: number; committedAt: number }[]>();
  /** When each log's oldest leaf not yet under a signed head was appended (ms). */
  private readonly unsignedSince = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastFinalCheck = 0;
  private stopped = true;

  constructor(private readonly deps: HeadSignerDeps) {
    deps.metrics.watchUnsigned(() => {
      const since = [...this.unsignedSince.values()];
      return since.length > 0 ? Math.min(...since) : undefined;
    });
  }

  /** The election's log grew by leaves published and committed at these times. */
  grew(electionId: string, times: { publishedAt: number; committedAt: number }[]): void {
    if (!this.unsignedSince.has(electionId)) this.unsignedSince.set(electionId, Date.now());
    const pending = this.grown.get(electionId);
    if (pending) pending.push(...times);
    else this.grown.set(electionId, [...times]);
  }

  async start(): Promise<void> {
    // Logs that grew while no audit was signing (a restart): heads are due at once.
    for (const id of await this.deps.heads.unsigned()) this.grew(id, []);
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round: heads for grown logs, then (now and then) final heads. Exposed for tests. */
  async tick(): Promise<void> {
    const due = [...this.grown];
    this.grown.clear();
    for (const [electionId, times] of due) {
      try {
        const startedAt = Date.now();
        await this.sign(electionId, false);
        // Leaves that arrived while this head was signed wait for the next one.
        if (this.grown.has(electionId)) this.unsignedSince.set(electionId, startedAt);
        else this.unsignedSince.delete(electionId);
        const now = Date.now();
        for (const t of times) {
          this.deps.metrics.lag.observe((now - t.publishedAt) / 1000);
          this.deps.metrics.commitToHead.observe((now - t.committedAt) / 1000);
        }
      } catch (err) {
        this.grew(electionId, times); // try again next round
        this.deps.logger.warn({ electionId, err: (err as Error).message }, 'tree head not signed; retrying');
      }
    }
    if (Date.now() - this.lastFinalCheck >= this.deps.finalCheckMs) {
      this.lastFinalCheck = Date.now();
      await this.finalize().catch((err) => this.deps.logger.warn({ err: (err as Error).message }, 'final head check failed'));
    }
  }

  private async finalize(): Promise<void> {
    for (const electionId of await this.deps.heads.awaitingFinal()) {
      const results = await this.deps.finalResults(electionId);
      if (!results?.final) continue;
      const inLog = await this.deps.heads.ballotCount(electionId);
      if (inLog !== results.totalBallots) continue; // some counted ballots are still on their way
      await this.sign(electionId, true);
      this.deps.logger.info({ electionId, ballots: inLog }, 'final tree head signed');
    }
  }

  private async sign(electionId: string, final: boolean): Promise<void> {
    const { treeSize, rootHash } = await this.deps.tree.root(electionId);
    const key = await this.deps.keys.current();
    const head = signHead(key, {
      electionId,
      treeSize,
      rootHash: Buffer.from(rootHash).toString('base64url'),
      timestamp: new Date().toISOString(),
      final,
    });
    await this.deps.heads.save(head);
    this.deps.metrics.heads.inc({ final: String(final) });
  }

  private schedule() {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick()
        .catch((err) => this.deps.logger.warn({ err: (err as Error).message }, 'head signing round failed'))
        .finally(() => this.schedule());
    }, this.deps.intervalMs);
  }
}
