import { listElections } from '../api/elections.ts';
import type { Election, ElectionStatus } from '../api/types.ts';
import { ErrorNotice, Loading } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { Link } from '../router.tsx';
import { formatWhen } from '../screens/elections-screen.tsx';
import { useAsync } from '../use-async.ts';
import { OperationsPanel } from './operations-panel.tsx';

const statuses: ElectionStatus[] = ['draft', 'open', 'closed'];

export function AdminHome() {
  const [state, reload] = useAsync(async () => {
    const lists = await Promise.all(statuses.map((s) => listElections(s)));
    return lists.flat().sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }, []);
  return (
    <Page
      title="Admin console"
      actions={
        <>
          <button type="button" className="secondary" onClick={reload}>
            Refresh
          </button>
          <Link className="button" href="/admin/elections/new">
            New election
          </Link>
        </>
      }
    >
      {state.status === 'loading' ? <Loading /> : null}
      {state.status === 'error' ? <ErrorNotice error={state.error} /> : null}
      {state.status === 'done' ? <ElectionTable elections={state.value} /> : null}
      <OperationsPanel
        titles={state.status === 'done' ? Object.fromEntries(state.value.map((e) => [e.id, e.title])) : {}}
      />
    </Page>
  );
}

function ElectionTable({ elections }: { elections: Election[] }) {
  if (elections.length === 0) return <p className="muted">No elections yet. Create the first one.</p>;
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Elections</caption>
        <thead>
          <tr>
            <th scope="col">Title</th>
            <th scope="col">Status</th>
            <th scope="col">Schedule</th>
          </tr>
        </thead>
        <tbody>
          {elections.map((e) => (
            <tr key={e.id}>
              <td>
                <Link href={`/admin/elections/${e.id}`}>{e.title}</Link>
              </td>
              <td>
                <StatusBadge status={e.status} />
              </td>
              <td className="small">
                {e.opensAt ? `opens ${formatWhen(e.opensAt)}` : ''}
                {e.opensAt && e.closesAt ? ', ' : ''}
                {e.closesAt ? `closes ${formatWhen(e.closesAt)}` : ''}
                {!e.opensAt && !e.closesAt ? <span className="muted">manual</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function StatusBadge({ status }: { status: ElectionStatus }) {
  return (
    <span className={`badge status-${status}`} data-testid="election-status">
      {status}
    </span>
  );
}
