import { getElection } from '../api/elections.ts';
import { Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { ReceiptBox } from '../components/receipt-box.tsx';
import { useAsync } from '../use-async.ts';
import { ElectionLinks } from '../components/election-links.tsx';

export function ReceiptScreen({ electionId, receiptId }: { electionId: string; receiptId: string }) {
  const [state] = useAsync(() => getElection(electionId), [electionId]);
  return (
    <Page title="Your vote was counted">
      <Notice kind="success" testId="vote-counted">
        Thank you. Your ballot{state.status === 'done' ? ` in “${state.value.title}”` : ''} is recorded.
      </Notice>
      <ReceiptBox receiptId={receiptId} />
      {state.status === 'done' ? <ElectionLinks election={state.value} /> : null}
    </Page>
  );
}
