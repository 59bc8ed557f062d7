import { useEffect } from 'react';
import { getElection, myVote } from '../api/elections.ts';
import { ApiError } from '../api/http.ts';
import type { MyVote } from '../api/types.ts';
import { ElectionLinks } from '../components/election-links.tsx';
import { LogCheck } from '../components/log-check.tsx';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { ReceiptBox } from '../components/receipt-box.tsx';
import { Link } from '../router.tsx';
import { useAsync } from '../use-async.ts';
import { useReceiptLogCheck } from '../use-receipt-log-check.ts';
import { useSession } from '../use-session.ts';

/**
 * A receipt link (`?r=`) proves nothing by itself: the screen says "counted" only when the server
 * confirms this voter's ballot has this receipt (votes/me), and then checks it in the public log.
 * Anyone else can check the receipt in the public log, which is what the log can tell them.
 */
export function ReceiptScreen({ electionId, receiptId }: { electionId: string; receiptId: string }) {
  const session = useSession();
  const signedIn = session !== null;
  const [election] = useAsync(() => getElection(electionId), [electionId]);
  const [mine] = useAsync<MyVote | null | undefined>(
    async () =>
      signedIn
        ? myVote(electionId).catch((err) => {
            if (err instanceof ApiError && err.status === 404) return null;
            throw err;
          })
        : undefined,
    [electionId, signedIn],
  );
  const { view, check } = useReceiptLogCheck(electionId);
  const confirmed = mine.status === 'done' && mine.value?.receiptId === receiptId ? mine.value : undefined;
  useEffect(() => {
    if (confirmed) check(confirmed.receiptId);
  }, [confirmed?.receiptId, check]);
  const links = election.status === 'done' ? <ElectionLinks election={election.value} /> : null;

  if (confirmed) {
    return (
      <Page title="Your vote was counted">
        <Notice kind="success" testId="vote-counted">
          Thank you. Your ballot{election.status === 'done' ? ` in “${election.value.title}”` : ''} is counted.
        </Notice>
        <ReceiptBox receiptId={confirmed.receiptId} countedAt={confirmed.countedAt} />
        <LogCheck view={view} onRecheck={() => check(confirmed.receiptId)} />
        {links}
      </Page>
    );
  }
  if (signedIn && mine.status === 'loading') return <Loading what="Confirming your vote" />;

  const here = `/elections/${electionId}/receipt?r=${encodeURIComponent(receiptId)}`;
  return (
    <Page title="Receipt not confirmed">
      {!signedIn ? (
        <Notice testId="receipt-unconfirmed">
          A receipt link alone does not show that a vote is yours.{' '}
          <Link href={`/login?next=${encodeURIComponent(here)}`}>Sign in</Link> to see your vote, or check this
          receipt in the public log.
        </Notice>
      ) : mine.status === 'error' ? (
        <ErrorNotice error={mine.error} />
      ) : mine.status === 'done' && mine.value ? (
        <Notice kind="warning" testId="receipt-unconfirmed">
          This is not the receipt of your vote in this election.{' '}
          <Link href={`/elections/${electionId}/mine`}>See my vote</Link>
        </Notice>
      ) : (
        <Notice kind="warning" testId="receipt-unconfirmed">
          This account has no vote in this election. You can still check the receipt in the public log.
        </Notice>
      )}
      {receiptId ? (
        <>
          <p className="receipt-plain">
            Receipt id <code className="break">{receiptId}</code>
          </p>
          <div className="row">
            <button type="button" className="secondary" onClick={() => check(receiptId)}>
              Check the public log
            </button>
          </div>
          <LogCheck view={view} />
        </>
      ) : (
        <p>This link has no receipt id.</p>
      )}
      {links}
    </Page>
  );
}
