import { type FormEvent, useState } from 'react';
import { describeError } from '../api/messages.ts';
import { getClusterBallots, getClusters, type ReviewCluster, voidBallots } from '../api/review.ts';
import type { Election } from '../api/types.ts';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { useAsync } from '../use-async.ts';

const kindLabel: Record<ReviewCluster['kind'], string> = {
  subnet: 'Same network',
  key: 'Same device key',
  burst: 'Burst in one minute',
};

function clusterName(c: ReviewCluster): string {
  if (c.kind === 'key') return `key ${c.keyHash?.slice(0, 10)}…`;
  if (c.kind === 'burst') return `${c.network} at ${new Date(c.minute!).toLocaleTimeString()}`;
  return c.network ?? '';
}

/** Ballots per minute as small bars (voided part darker); the numbers are in the label. */
function MinuteBars({ cluster }: { cluster: ReviewCluster }) {
  const width = 160;
  const height = 32;
  const minutes = cluster.perMinute;
  const max = Math.max(1, ...minutes.map((m) => m.ballots));
  const bar = width / Math.max(1, minutes.length);
  const label = `Ballots per minute: ${minutes.map((m) => `${new Date(m.minute).toLocaleTimeString()} ${m.ballots}`).join(', ')}`;
  return (
    <svg className="minute-bars" viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={label}>
      {minutes.map((m, i) => {
        const h = Math.max(1, (m.ballots / max) * (height - 2));
        const hv = (m.voided / max) * (height - 2);
        return (
          <g key={m.minute}>
            <rect x={i * bar + 1} y={height - h} width={Math.max(1, bar - 2)} height={h} className="minute-bar" />
            {hv > 0 ? <rect x={i * bar + 1} y={height - hv} width={Math.max(1, bar - 2)} height={hv} className="minute-bar-voided" /> : null}
          </g>
        );
      })}
    </svg>
  );
}

type Target = { what: string; count: number; body: { clusterId: string } | { ballots: string[] } };

/**
 * Fraud review of an election: clusters of suspicious ballots (one network, one device key, a burst)
 * with their ballots per minute, the ballots of a cluster (named by their hash in the audit log,
 * never by voter), and voiding a cluster or one ballot with a required reason and a confirmation.
 * Voids are possible only while the election is open: once closed, its results are final.
 */
export function FraudReviewPanel({ election }: { election: Election }) {
  const [clusters, reload] = useAsync(() => getClusters(election.id), [election.id]);
  const [selected, setSelected] = useState<ReviewCluster | null>(null);
  const [offset, setOffset] = useState(0);
  const [round, setRound] = useState(0);
  const [ballots] = useAsync(
    () => (selected ? getClusterBallots(election.id, selected.clusterId, offset) : Promise.resolve(undefined)),
    [election.id, selected?.clusterId, offset, round],
  );
  const [target, setTarget] = useState<Target | null>(null);
  const [reason, setReason] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const open = election.status === 'open';

  const choose = (next: Target) => {
    setTarget(next);
    setConfirming(false);
    setOutcome(null);
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!target || reason.trim() === '') return;
    setConfirming(true);
  };

  const confirm = async () => {
    if (!target) return;
    setBusy(true);
    try {
      const result = await voidBallots(election.id, { reason: reason.trim(), ...target.body });
      setOutcome({
        kind: 'success',
        text:
          result.voided > 0
            ? `Voided ${result.voided.toLocaleString()} ballot${result.voided === 1 ? '' : 's'}${result.alreadyVoided ? ` (${result.alreadyVoided} were voided before)` : ''}.`
            : 'Nothing changed: these ballots were voided before.',
      });
      setTarget(null);
      setReason('');
      reload();
      setRound((n) => n + 1);
    } catch (err) {
      setOutcome({ kind: 'error', text: describeError(err) });
    } finally {
      setConfirming(false);
      setBusy(false);
    }
  };

  return (
    <section className="card" aria-labelledby="review-h">
      <div className="row spread">
        <h2 id="review-h">Fraud review</h2>
        <button type="button" className="secondary" onClick={reload}>
          Refresh
        </button>
      </div>
      <p className="muted small">
        Ballots grouped by what they share: a network (/24 or /64), a device key, or a burst within one minute. No
        voter is named; ballots are shown by their hash in the public audit log.
      </p>
      {clusters.status === 'loading' ? <Loading what="Loading the clusters" /> : null}
      {clusters.status === 'error' ? <ErrorNotice error={clusters.error} /> : null}
      {clusters.status === 'done' ? (
        <>
          <dl className="stats">
            <div>
              <dt>Clusters</dt>
              <dd data-testid="review-clusters-count">{clusters.value.items.length.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Voided ballots</dt>
              <dd data-testid="review-voided">{clusters.value.voided.toLocaleString()}</dd>
            </div>
          </dl>
          {clusters.value.items.length === 0 ? (
            <p className="muted" data-testid="review-none">
              No suspicious clusters.
            </p>
          ) : (
            <table className="review-clusters">
              <thead>
                <tr>
                  <th scope="col">Cluster</th>
                  <th scope="col">Ballots</th>
                  <th scope="col">Voided</th>
                  <th scope="col">Challenged</th>
                  <th scope="col">Per minute</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {clusters.value.items.map((c) => (
                  <tr key={c.clusterId} data-testid="review-cluster" data-kind={c.kind} data-network={c.network ?? ''}>
                    <th scope="row">
                      <span className="muted small">{kindLabel[c.kind]}</span>
                      <br />
                      <code>{clusterName(c)}</code>
                    </th>
                    <td data-testid="review-cluster-ballots">{c.ballots.toLocaleString()}</td>
                    <td data-testid="review-cluster-voided">{c.voided.toLocaleString()}</td>
                    <td>{c.challenged.toLocaleString()}</td>
                    <td>
                      <MinuteBars cluster={c} />
                    </td>
                    <td>
                      <div className="row">
                        <button
                          type="button"
                          className="secondary"
                          onClick={() => {
                            setSelected(c);
                            setOffset(0);
                          }}
                        >
                          Show ballots
                        </button>
                        {open && c.voided < c.ballots ? (
                          <button
                            type="button"
                            className="danger"
                            onClick={() => choose({ what: `the cluster ${clusterName(c)}`, count: c.ballots - c.voided, body: { clusterId: c.clusterId } })}
                          >
                            Void cluster…
                          </button>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      ) : null}

      {selected ? (
        <div className="review-ballots" data-testid="review-ballots">
          <h3>
            Ballots of <code>{clusterName(selected)}</code>
          </h3>
          {ballots.status === 'loading' ? <Loading what="Loading the ballots" /> : null}
          {ballots.status === 'error' ? <ErrorNotice error={ballots.error} /> : null}
          {ballots.status === 'done' && ballots.value ? (
            <>
              <p className="muted small" data-testid="review-ballots-range">
                {ballots.value.items.length ? `${offset + 1}–${offset + ballots.value.items.length}` : '0'} of{' '}
                {ballots.value.total.toLocaleString()}
              </p>
              <ul className="plain">
                {ballots.value.items.map((b) => (
                  <li key={b.ballot} data-testid="review-ballot" data-voided={b.voided ? 'true' : 'false'}>
                    <code title={b.ballot}>{b.ballot.slice(0, 12)}…</code> {new Date(b.countedAt).toLocaleTimeString()} ·{' '}
                    {b.network} · token {b.tokenAgeSeconds}s old · {b.risk === 'challenge' ? `challenge solved (${b.reasons.join(', ')})` : 'allowed'}
                    {b.voided ? (
                      <strong> · voided: {b.voidReason}</strong>
                    ) : open ? (
                      <button
                        type="button"
                        className="link review-void"
                        onClick={() => choose({ what: `the ballot ${b.ballot.slice(0, 12)}…`, count: 1, body: { ballots: [b.ballot] } })}
                      >
                        Void…
                      </button>
                    ) : null}
                  </li>
                ))}
              </ul>
              <div className="row">
                {offset > 0 ? (
                  <button type="button" className="secondary" onClick={() => setOffset(Math.max(0, offset - 50))}>
                    Previous
                  </button>
                ) : null}
                {ballots.value.nextOffset !== undefined ? (
                  <button type="button" className="secondary" onClick={() => setOffset(ballots.value!.nextOffset!)}>
                    Next
                  </button>
                ) : null}
              </div>
            </>
          ) : null}
        </div>
      ) : null}

      {!open ? (
        <p className="muted small" data-testid="review-final">
          {election.status === 'closed'
            ? 'The election is closed: its results are final and no ballot can be voided.'
            : 'Ballots can be voided while the election is open.'}
        </p>
      ) : null}

      {target ? (
        <form className="form" onSubmit={submit} data-testid="void-form">
          <h3>
            Void {target.count.toLocaleString()} ballot{target.count === 1 ? '' : 's'} of {target.what}
          </h3>
          <label>
            Reason (kept in the public audit log and the history)
            <textarea required maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          {confirming ? (
            <Notice kind="warning" testId="void-confirm">
              Void {target.count.toLocaleString()} ballot{target.count === 1 ? '' : 's'}? They leave the tally for good; their
              voters cannot vote again.{' '}
              <button type="button" className="danger" disabled={busy} onClick={() => void confirm()}>
                {busy ? 'Voiding…' : 'Confirm void'}
              </button>{' '}
              <button type="button" className="secondary" disabled={busy} onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </Notice>
          ) : (
            <div className="row">
              <button type="submit" className="danger" disabled={reason.trim() === ''}>
                Void ballots
              </button>
              <button type="button" className="secondary" onClick={() => setTarget(null)}>
                Cancel
              </button>
            </div>
          )}
        </form>
      ) : null}
      {outcome ? (
        <div className={`notice notice-${outcome.kind}`} role="status" data-testid="void-outcome">
          {outcome.text}
        </div>
      ) : null}
    </section>
  );
}
