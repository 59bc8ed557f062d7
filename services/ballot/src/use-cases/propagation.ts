import type { ElectionEvent } from '@onevote/contracts';
import type { ElectionConfig } from '@onevote/election-config';
import type { Logger } from '@onevote/platform';
import type { ElectionRepository, HistoryAction, StoredElection } from '../adapters/election.repository.ts';

/** The KV side of propagation (ElectionConfigPublisher implements it). */
export interface ConfigPublisher {
  publish(election: ElectionConfig): Promise<unknown>;
  remove(electionId: string): Promise<void>;
}

/** The event side: each history entry to ELECTION_EVENTS (ElectionEventsStream implements it). */
export interface EventPublisher {
  publish(event: ElectionEvent): Promise<void>;
}

const events: Record<HistoryAction, ElectionEvent['event']> = {
  create: 'created',
  edit: 'edited',
  open: 'opened',
  close: 'closed',
  delete: 'deleted',
  // Who may vote changed: in the public log too (a leaf kind verifiers may ignore, API.md).
  roll: 'roll_replaced',
  // An admin voided ballots (fraud review); the void leaves themselves come through BALLOTS.
  void: 'ballots_voided',
};

/**
 * Puts each election's latest committed state into the KV bucket, and each history entry into
 * ELECTION_EVENTS (for the audit log). Called right after every commit;
 * when that fails (NATS away), the row stays "publish pending" (published_revision < revision) and
 * the scheduler's tick publishes it again, so the bucket never stays stale.
 */
export class Propagation {
  constructor(
    private readonly repository: ElectionRepository,
    private readonly publisher: ConfigPublisher,
    private readonly logger: Logger,
    private readonly eventPublisher?: EventPublisher,
    private readonly waitMs = 1000,
  ) {}

  /** Publishes the election's current row; errors are logged and left to the pending loop. */
  async afterCommit(id: string): Promise<void> {
    const attempt = Promise.all([
      this.publish(id).catch((err) => {
        this.logger.warn({ electionId: id, err: (err as Error).message }, 'publish failed; will retry');
      }),
      this.publishEvents().catch((err) => {
        this.logger.warn({ electionId: id, err: (err as Error).message }, 'event publish failed; will retry');
      }),
    ]);
    // The change is committed whatever NATS does: the caller waits a moment for the publish (so an
    // answer usually means "already in KV"), never for a NATS timeout.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([attempt, new Promise((resolve) => (timer = setTimeout(resolve, this.waitMs)))]);
    clearTimeout(timer);
  }

  /** Reads the row now (not the caller's copy), so a late publish never writes old state. */
  async publish(id: string): Promise<void> {
    const stored = await this.repository.find(id, { includeDeleted: true });
    if (!stored) return;
    if (stored.deleted) await this.publisher.remove(id);
    else await this.publisher.publish(configOf(stored));
    await this.repository.markPublished(id, stored.election.revision);
  }

  /**
   * Publishes every history entry not yet acknowledged, oldest first (at least once: an entry is
   * marked only after JetStream's ack, and its message id makes a repeat harmless).
   */
  async publishEvents(limit = 100): Promise<void> {
    if (!this.eventPublisher) return;
    for (const entry of await this.repository.unpublishedHistory(limit)) {
      await this.eventPublisher.publish({
        v: 1,
        electionId: entry.electionId,
        seq: entry.seq,
        event: events[entry.action],
        at: entry.at.toISOString(),
      });
      await this.repository.markHistoryPublished(entry.seq);
    }
  }

  /** Publishes every pending election; returns how many are still pending after failures. */
  async publishPending(limit = 100): Promise<number> {
    let failed = 0;
    for (const id of await this.repository.publishPending(limit)) {
      try {
        await this.publish(id);
      } catch (err) {
        failed++;
        this.logger.warn({ electionId: id, err: (err as Error).message }, 'pending publish failed');
      }
    }
    return failed;
  }

  /**
   * Re-puts every election whose KV entry is missing or older (the publisher skips up-to-date ones).
   * Heals a bucket that lost data (recreated, NATS store wiped) while the database kept it.
   */
  async reconcile(): Promise<void> {
    for (const id of await this.repository.allIds()) {
      const stored = await this.repository.find(id);
      if (stored) await this.publisher.publish(configOf(stored));
    }
  }
}

/** What the KV bucket holds: the election and its shard map version (vote-api routes by it). */
function configOf(stored: StoredElection): ElectionConfig {
  return { ...stored.election, shards: stored.shards };
}
