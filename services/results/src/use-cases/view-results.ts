import { AppError } from '@onevote/platform';
import { resultsVisible } from '../domain/results.ts';
import { type LiveResults, type Snapshot, TallyUnavailable } from '../live-results/live-results.ts';

export interface Viewer {
  admin: boolean;
}

/**
 * The one use case behind the snapshot, SSE and WebSocket calls: the election's current results if
 * this viewer may see them. Unknown elections and drafts are `not_found`; `after_close` results are
 * `results_hidden` until the election closes, except for admins.
 */
export async function viewResults(live: LiveResults, electionId: string, viewer: Viewer): Promise<Snapshot> {
  const config = live.config(electionId);
  if (!config) throw new AppError('not_found', { detail: 'No such election' });
  if (!resultsVisible(config, viewer)) throw new AppError('results_hidden');
  try {
    const snapshot = await live.snapshot(electionId);
    if (!snapshot) throw new AppError('not_found', { detail: 'No such election' });
    return snapshot;
  } catch (err) {
    if (err instanceof TallyUnavailable) throw new AppError('unavailable', { cause: err, retryAfter: 1 });
    throw err;
  }
}
