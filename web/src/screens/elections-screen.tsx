import { listElections } from '../api/elections.ts';
import { ErrorNotice, Loading } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { Link } from '../router.tsx';
import { useAsync } from '../use-async.ts';

export function formatWhen(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '';
}

export function ElectionsScreen() {
  const [state, reload] = useAsync(() => listElections('open'), []);
  return (
    <Page
      title="Open elections"
      actions={
        <button type="button" className="secondary" onClick={reload}>
          Refresh
        </button>
      }
    >
      {state.status === 'loading' ? <Loading /> : null}
      {state.status === 'error' ? <ErrorNotice error={state.error} /> : null}
      {state.status === 'done' && state.value.length === 0 ? (
        <p className="muted">No election is open right now.</p>
      ) : null}
      {state.status === 'done' ? (
        <ul className="cards" aria-label="Open elections">
          {state.value.map((e) => (
            <li key={e.id} className="card">
              <h2>{e.title}</h2>
              {e.description ? <p>{e.description}</p> : null}
              {e.closesAt ? <p className="muted small">Closes {formatWhen(e.closesAt)}</p> : null}
              <div className="row">
                <Link className="button" href={`/elections/${e.id}`} aria-label={`Vote: ${e.title}`}>
                  Vote
                </Link>
                {e.resultsVisibility === 'live' ? (
                  <Link
                    className="button secondary"
                    href={`/elections/${e.id}/results`}
                    aria-label={`Results: ${e.title}`}
                  >
                    Results
                  </Link>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      ) : null}
    </Page>
  );
}
