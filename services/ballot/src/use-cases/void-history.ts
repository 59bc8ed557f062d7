import type { Logger } from '@onevote/platform';
import type { VoidActionsRepository } from '../adapters/void-actions.repository.ts';

/**
 * Copies the void actions of fraud review (vote-api) into each election's history, so the history
 * says who voided how many ballots and why; from there they are published like every entry.
 */
export class VoidHistory {
  constructor(
    private readonly repository: VoidActionsRepository,
    private readonly logger: Logger,
  ) {}

  async import(): Promise<void> {
    try {
      const pending = await this.repository.pending();
      if (pending.length === 0) return;
      const added = await this.repository.record(pending);
      if (added > 0) this.logger.info({ added }, 'void actions recorded in election history');
    } catch (err) {
      // vote-api's schema not migrated yet (a fresh deployment): nothing to copy.
      if ((err as { code?: string }).code === '42P01') return;
      throw err;
    }
  }
}
