import type { Logger } from '@onevote/platform';
import type { VoidActionsRepository } from '../adapters/void-actions.repository.ts';

/**
 * Copies the void actions of fraud review (vote-api) into each election's history, so the history
 * says who voided how many ballots and why; from there they are published like every entry.
 */
export class VoidHistory {
  /** `repositories`: one per vote shard group (each group's void actions are its own). */
  private readonly repositories: VoidActionsRepository[];

  constructor(
    repositories: VoidActionsRepository | VoidActionsRepository[],
    private readonly logger: Logger,
  ) {
    this.repositories = Array.isArray(repositories) ? repositories : [repositories];
  }

  /** Copies every group's new actions; a group that does not answer is left for the next tick. */
  async import(): Promise<void> {
    const outcomes = await Promise.allSettled(this.repositories.map((r) => this.importFrom(r)));
    const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [{ shard: this.repositories[i]!.shard, err: o.reason as Error }] : []));
    if (failed.length === this.repositories.length) throw failed[0]!.err;
    // A group that is down fails every tick the same way: one line per change is enough.
    const message = failed.map((f) => `${f.shard}: ${f.err.message}`).join('; ');
    if (message && message !== this.lastFailure) this.logger.warn({ failed: message }, 'void actions of a vote shard group not copied yet');
    this.lastFailure = message;
  }

  private lastFailure = '';

  private async importFrom(repository: VoidActionsRepository): Promise<void> {
    try {
      const pending = await repository.pending();
      if (pending.length === 0) return;
      const added = await repository.record(pending);
      if (added > 0) this.logger.info({ added, shard: repository.shard }, 'void actions recorded in election history');
    } catch (err) {
      // vote-api's schema not migrated yet (a fresh deployment): nothing to copy.
      if ((err as { code?: string }).code === '42P01') return;
      throw err;
    }
  }
}
