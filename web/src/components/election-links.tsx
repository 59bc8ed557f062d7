import type { Election } from '../api/types.ts';
import { Link } from '../router.tsx';

export function ElectionLinks({ election }: { election: Election }) {
  return (
    <div className="row">
      <Link className="button secondary" href={`/elections/${election.id}/mine`}>
        My vote
      </Link>
      {election.resultsVisibility === 'live' || election.status === 'closed' ? (
        <Link className="button secondary" href={`/elections/${election.id}/results`}>
          Live results
        </Link>
      ) : null}
    </div>
  );
}
