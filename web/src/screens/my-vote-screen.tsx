import { useEffect } from 'react';
import { getElection, myVote } from '../api/elections.ts';
import { ApiError } from '../api/http.ts';
import { ElectionLinks } from '../components/election-links.tsx';
import { LogCheck } from '../components/log-check.tsx';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { ReceiptBox } from '../components/receipt-box.tsx';
import { Link } from '../router.tsx';
import { useAsync } from '../use-async.ts';
import { useReceiptLogCheck } from '../use-receipt-log-check.ts';
import { useSession } from '../use-session.ts';

export function MyVoteScreen({ electionId }: { electionId: string }) {
  const session = useSession();
  const [state] = useAsync(async () => {
    const election = await getElection(electionId);
    const vote = await myVote(electionId).catch((err) => {
      if (err instanceof ApiError && err.status === 404 && err.code === 'not_found') return null;
      throw err;
    });
    return { election, vote };
  }, [electionId]);
  const { view, check } = useReceiptLogCheck(electionId);
  const receiptId = state.status === 'done' ? state.value.vote?.receiptId : undefined;
  useEffect(() => {
    if (receiptId) check(receiptId);
  }, [receiptId, check]);
  if (!session) {
    return (
      <Page title="My vote">
        <Notice>
          <Link href={`/login?next=${encodeURIComponent(`/elections/${electionId}/mine`)}`}>Sign in</Link> to
          see your vote.
        </Notice>
      </Page>
    );
  }
  if (state.status === 'loading') return <Loading />;
  if (state.status === 'error')
    return (
      <Page title="My vote">
        <ErrorNotice error={state.error} />
      </Page>
    );
  const { election, vote } = state.value;
  return (
    <Page title={`My vote: ${election.title}`}>
      {vote ? (
        <>
          {vote.voided ? (
            <Notice kind="warning" testId="my-vote-voided">
              An administrator voided your ballot{vote.voidReason ? `: ${vote.voidReason}` : ''}. It is not in the tally,
              and you cannot vote again in this election.
            </Notice>
          ) : (
            <Notice kind="success">Your ballot is counted.</Notice>
          )}
          <ReceiptBox receiptId={vote.receiptId} countedAt={vote.countedAt} />
          <LogCheck view={view} onRecheck={() => check(vote.receiptId)} />
          <dl className="card my-choices">
            {election.questions.map((q) => {
              const chosen = vote.selections.find((s) => s.questionId === q.id)?.optionIds ?? [];
              const labels = q.options.filter((o) => chosen.includes(o.id)).map((o) => o.label);
              return (
                <div key={q.id}>
                  <dt>{q.title}</dt>
                  <dd>{labels.length ? labels.join(', ') : 'No choice'}</dd>
                </div>
              );
            })}
          </dl>
        </>
      ) : (
        <Notice>
          You have not voted in this election yet.{' '}
          {election.status === 'open' ? (
            <Link href={`/elections/${electionId}`}>Go to the ballot</Link>
          ) : null}
        </Notice>
      )}
      <ElectionLinks election={election} current="mine" />
    </Page>
  );
}
