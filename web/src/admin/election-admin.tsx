import { useState } from 'react';
import { deleteElection, downloadExport, getElection, history, transition } from '../api/elections.ts';
import { ApiError } from '../api/http.ts';
import type { Election, Eligibility } from '../api/types.ts';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { Link, navigate } from '../router.tsx';
import { choiceHint } from '../screens/ballot-screen.tsx';
import { formatWhen } from '../screens/elections-screen.tsx';
import { useAsync } from '../use-async.ts';
import { useSession } from '../use-session.ts';
import { StatusBadge } from './admin-home.tsx';
import { FraudReviewPanel } from './fraud-review-panel.tsx';
import { OperationsPanel } from './operations-panel.tsx';
import { RollPanel } from './roll-panel.tsx';

const eligibilityLabels: Record<Eligibility, string> = {
  open: 'any signed-in voter',
  verified_email: 'voters with a verified email address',
  roll: 'voters on the voter roll',
};

export function ElectionAdmin({ electionId }: { electionId: string }) {
  const [state, reload] = useAsync(() => getElection(electionId), [electionId]);
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error')
    return (
      <Page title="Election">
        <ErrorNotice error={state.error} />
      </Page>
    );
  return <ElectionDetails election={state.value} reload={reload} />;
}

function ElectionDetails({ election, reload }: { election: Election; reload: () => void }) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // A roll upload is recorded in the history without changing the election's revision.
  const [rollUploads, setRollUploads] = useState(0);
  const act = (action: () => Promise<unknown>, confirmText?: string) => async () => {
    if (confirmText && !window.confirm(confirmText)) return;
    setError(undefined);
    setBusy(true);
    try {
      await action();
      reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const voteUrl = `${location.origin}/elections/${election.id}`;
  return (
    <Page title={election.title} actions={<StatusBadge status={election.status} />}>
      <div className="card">
        {election.description ? <p>{election.description}</p> : null}
        <dl className="facts">
          <div>
            <dt>Opens</dt>
            <dd>{election.opensAt ? formatWhen(election.opensAt) : 'when opened by hand'}</dd>
          </div>
          <div>
            <dt>Closes</dt>
            <dd>{election.closesAt ? formatWhen(election.closesAt) : 'when closed by hand'}</dd>
          </div>
          <div>
            <dt>Results</dt>
            <dd>{election.resultsVisibility === 'live' ? 'live' : 'after closing'}</dd>
          </div>
          <div>
            <dt>Who can vote</dt>
            <dd data-testid="election-eligibility">{eligibilityLabels[election.eligibility]}</dd>
          </div>
          <div>
            <dt>Anti-bot check</dt>
            <dd>{election.requireChallenge ? 'every voter' : 'when risk rules ask'}</dd>
          </div>
          <div className="wide">
            <dt>Voting link</dt>
            <dd className="break">
              <Link href={`/elections/${election.id}`}>{voteUrl}</Link>
            </dd>
          </div>
        </dl>
        <fieldset className="row plain" aria-label="Election actions">
          {election.status === 'draft' ? (
            <>
              <Link className="button secondary" href={`/admin/elections/${election.id}/edit`}>
                Edit
              </Link>
              <button type="button" disabled={busy} onClick={act(() => transition(election.id, 'open'))}>
                Open voting
              </button>
              <button
                type="button"
                className="secondary danger"
                disabled={busy}
                onClick={act(async () => {
                  await deleteElection(election.id);
                  navigate('/admin');
                }, 'Delete this draft?')}
              >
                Delete draft
              </button>
            </>
          ) : null}
          {election.status === 'open' ? (
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={act(
                () => transition(election.id, 'close'),
                'Close voting now? This cannot be undone.',
              )}
            >
              Close voting
            </button>
          ) : null}
          {election.status !== 'draft' ? (
            <>
              <Link className="button secondary" href={`/elections/${election.id}/results`}>
                Results
              </Link>
              <Link className="button secondary" href={`/elections/${election.id}/results?present=1`}>
                Presenter mode
              </Link>
            </>
          ) : null}
        </fieldset>
        {error ? <ErrorNotice error={error} /> : null}
      </div>

      <section className="card" aria-labelledby="questions-h">
        <h2 id="questions-h">Questions</h2>
        <ol>
          {election.questions.map((q) => (
            <li key={q.id}>
              <strong>{q.title}</strong> <span className="muted small">{choiceHint(q)}</span>
              <ul>
                {q.options.map((o) => (
                  <li key={o.id}>{o.label}</li>
                ))}
              </ul>
            </li>
          ))}
        </ol>
      </section>

      <RollPanel election={election} onElectionChanged={reload} onUploaded={() => setRollUploads((n) => n + 1)} />
      {election.status !== 'draft' ? <OperationsPanel electionId={election.id} /> : null}
      {election.status !== 'draft' ? <FraudReviewPanel election={election} /> : null}
      <ExportButtons election={election} />
      <History electionId={election.id} revision={`${election.revision ?? election.status}/${rollUploads}`} />
    </Page>
  );
}

function ExportButtons({ election }: { election: Election }) {
  const [error, setError] = useState<unknown>();
  const closed = election.status === 'closed';
  const run = (format: 'csv' | 'json') => async () => {
    setError(undefined);
    try {
      await downloadExport(election.id, format);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section className="card" aria-labelledby="export-h">
      <h2 id="export-h">Export counted ballots</h2>
      {!closed ? <p className="muted small">Available once the election is closed.</p> : null}
      <div className="row">
        <button type="button" className="secondary" disabled={!closed} onClick={run('csv')}>
          Download CSV
        </button>
        <button type="button" className="secondary" disabled={!closed} onClick={run('json')}>
          Download JSON
        </button>
      </div>
      {error ? <ErrorNotice error={error} /> : null}
    </section>
  );
}

function History({ electionId, revision }: { electionId: string; revision: unknown }) {
  const [state] = useAsync(() => history(electionId), [electionId, revision]);
  const me = useSession()?.me?.voterId;
  return (
    <section className="card" aria-labelledby="history-h">
      <h2 id="history-h">History</h2>
      {state.status === 'loading' ? <Loading /> : null}
      {state.status === 'error' ? (
        state.error instanceof ApiError && state.error.status === 404 ? (
          <Notice>History is not available from this server yet.</Notice>
        ) : (
          <ErrorNotice error={state.error} />
        )
      ) : null}
      {state.status === 'done' ? (
        state.value.length === 0 ? (
          <p className="muted">No changes recorded.</p>
        ) : (
          <ol className="history" data-testid="history">
            {state.value.map((entry) => (
              <li key={`${entry.at}-${entry.action}-${JSON.stringify(entry.changes)}`}>
                <time dateTime={entry.at}>{formatWhen(entry.at)}</time> <strong>{entry.action}</strong>{' '}
                <span className="muted small">by {entry.actor === me ? 'you' : entry.actor}</span>
                {entry.action === 'void' ? (
                  // Fraud review: how many ballots, and why.
                  <span className="muted small" data-testid="history-void">
                    {' '}
                    — {String(entry.changes.ballots)} ballot{entry.changes.ballots === 1 ? '' : 's'} voided: {String(entry.changes.reason)}
                  </span>
                ) : Object.keys(entry.changes ?? {}).length ? (
                  <span className="muted small"> — {Object.keys(entry.changes).join(', ')}</span>
                ) : null}
              </li>
            ))}
          </ol>
        )
      ) : null}
    </section>
  );
}
