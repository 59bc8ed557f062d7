import { type ReactNode, useEffect, useRef } from 'react';
import { getElection } from '../api/elections.ts';
import { describeError } from '../api/messages.ts';
import { ConnectionBadge } from '../components/connection-badge.tsx';
import { Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { QrCode } from '../components/qr-code.tsx';
import { ResultBars } from '../components/result-bars.tsx';
import { Sparkline } from '../components/sparkline.tsx';
import { Link, navigate } from '../router.tsx';
import { useAsync } from '../use-async.ts';
import { useResultsStream } from '../use-results-stream.ts';

export function ResultsScreen({ electionId, presenter }: { electionId: string; presenter: boolean }) {
  const stream = useResultsStream(electionId);
  const [election] = useAsync(() => getElection(electionId), [electionId]);
  const title = election.status === 'done' ? election.value.title : 'Live results';
  const rate = stream.rates.at(-1) ?? 0;
  const voteUrl = `${location.origin}/elections/${electionId}`;

  const body = (
    <>
      <div className="results-summary">
        <ConnectionBadge connection={stream.connection} />
        <p className="total">
          <span className="total-number" data-testid="total-ballots">
            {stream.results ? stream.results.totalBallots.toLocaleString() : '–'}
          </span>{' '}
          ballots
        </p>
        <div className="rate">
          <Sparkline
            values={stream.rates}
            label={`Ballots per second over the last minute; now ${rate.toFixed(1)}`}
          />
          <span className="muted small">{rate.toFixed(1)} ballots/s</span>
        </div>
      </div>
      {stream.connection === 'hidden' ? (
        <Notice>Results of this election are shown once it closes.</Notice>
      ) : stream.connection === 'failed' ? (
        <Notice kind="error">{describeError(stream.error)}</Notice>
      ) : stream.error && stream.connection !== 'live' ? (
        <Notice kind="warning">{describeError(stream.error)} Reconnecting automatically.</Notice>
      ) : null}
      {stream.results ? (
        <ResultBars
          results={stream.results}
          {...(election.status === 'done' ? { election: election.value } : {})}
        />
      ) : null}
    </>
  );

  if (presenter)
    return (
      <Presenter title={title} voteUrl={voteUrl} electionId={electionId}>
        {body}
      </Presenter>
    );
  return (
    <Page
      title={title}
      actions={
        <>
          <Link className="button secondary" href={`/elections/${electionId}/audit`}>
            Public audit log
          </Link>
          <Link className="button secondary" href={`/elections/${electionId}/results?present=1`}>
            Presenter mode
          </Link>
        </>
      }
    >
      {body}
      <details className="card share">
        <summary>Share the voting link</summary>
        <QrCode url={voteUrl} size={200} />
        <p className="break">{voteUrl}</p>
      </details>
    </Page>
  );
}

/** Full screen, large and high contrast, for a studio screen; Escape leaves. */
function Presenter({
  title,
  voteUrl,
  electionId,
  children,
}: {
  title: string;
  voteUrl: string;
  electionId: string;
  children: ReactNode;
}) {
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    document.body.classList.add('presenting');
    document.title = `${title} · OneVote`;
    root.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.fullscreenElement) navigate(`/elections/${electionId}/results`);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      document.body.classList.remove('presenting');
      window.removeEventListener('keydown', onKey);
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    };
  }, [title, electionId]);
  const fullScreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void root.current?.requestFullscreen().catch(() => undefined);
  };
  return (
    <div className="presenter" ref={root} tabIndex={-1}>
      <header className="presenter-head">
        <h1>{title}</h1>
        <div className="presenter-tools">
          <button type="button" onClick={fullScreen}>
            Full screen
          </button>
          <Link className="button" href={`/elections/${electionId}/results`}>
            Exit
          </Link>
        </div>
      </header>
      <div className="presenter-body">
        <div className="presenter-results">{children}</div>
        <aside className="presenter-qr" aria-label="Vote now">
          <p className="presenter-cta">Vote now</p>
          <QrCode url={voteUrl} size={260} />
          <p className="break">{voteUrl}</p>
        </aside>
      </div>
    </div>
  );
}
