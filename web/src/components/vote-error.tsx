import { useEffect, useState } from 'react';
import { ApiError } from '../api/http.ts';
import { describeError } from '../api/messages.ts';
import type { Election } from '../api/types.ts';
import { Link } from '../router.tsx';
import { ElectionLinks } from './election-links.tsx';
import { Notice } from './notice.tsx';
import { ReceiptBox } from './receipt-box.tsx';

/** What a refused vote means for the voter, and what they can do next. */
export function VoteError({ error, election }: { error: unknown; election: Election }) {
  const code = error instanceof ApiError ? error.code : undefined;
  if (code === 'already_voted' && error instanceof ApiError) {
    const receiptId = typeof error.problem.receiptId === 'string' ? error.problem.receiptId : undefined;
    return (
      <div data-testid="already-voted">
        <Notice kind="warning">
          You have already voted in this election. Your first ballot is the one counted.
        </Notice>
        {receiptId ? <ReceiptBox receiptId={receiptId} /> : null}
        <ElectionLinks election={election} />
      </div>
    );
  }
  if (code === 'rate_limited' && error instanceof ApiError)
    return <RateLimited seconds={error.retryAfter ?? 5} />;
  if (code === 'invalid_token' || code === 'invalid_dpop_proof') {
    return (
      <Notice kind="error">
        Your session has ended.{' '}
        <Link href={`/login?next=${encodeURIComponent(`/elections/${election.id}`)}`}>Sign in again</Link> and
        vote: nothing was counted.
      </Notice>
    );
  }
  if (code === 'email_not_verified' && error instanceof ApiError) {
    return (
      <div data-testid="email-not-verified">
        <Notice kind="warning">Verify your email address to vote in this election. Nothing was counted.</Notice>
        {error.problem.detail ? <p className="muted small">{error.problem.detail}</p> : null}
      </div>
    );
  }
  if (code === 'election_not_open') {
    return (
      <>
        <Notice kind="error">This election is not open for voting any more. Nothing was counted.</Notice>
        <ElectionLinks election={election} />
      </>
    );
  }
  return <Notice kind="error">{describeError(error)} Nothing was counted.</Notice>;
}

function RateLimited({ seconds }: { seconds: number }) {
  const [left, setLeft] = useState(Math.ceil(seconds));
  useEffect(() => {
    if (left <= 0) return;
    const timer = setTimeout(() => setLeft((s) => s - 1), 1000);
    return () => clearTimeout(timer);
  }, [left]);
  return (
    <Notice kind="warning">
      Too many attempts from this connection.{' '}
      {left > 0 ? `Please wait ${left} s, then cast your vote again.` : 'You can cast your vote again now.'}
    </Notice>
  );
}
