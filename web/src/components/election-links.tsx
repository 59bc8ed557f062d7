import type { Election } from '../api/types.ts';
import { Link } from '../router.tsx';

/** Where a voter goes next from an election's screens; `current` leaves out the screen they are on. */
export function ElectionLinks({ election, current }: { election: Election; current?: 'mine' | 'audit' }) {
  return (
    <div className="row">
      {current === 'mine' ? null : (
        <Link className="button secondary" href={`/elections/${election.id}/mine`}>
          My vote
        </Link>
      )}
      {election.resultsVisibility === 'live' || election.status === 'closed' ? (
        <Link className="button secondary" href={`/elections/${election.id}/results`}>
          Live results
        </Link>
      ) : null}
      {current === 'audit' ? null : (
        <Link className="button secondary" href={`/elections/${election.id}/audit`}>
          Public audit log
        </Link>
      )}
    </div>
  );
}
