import { type FormEvent, useRef, useState } from 'react';
import { castVote, type VoteProgress } from '../api/cast-vote.ts';
import { getElection, myVote } from '../api/elections.ts';
import { ApiError } from '../api/http.ts';
import type { Election, Question } from '../api/types.ts';
import { ChallengeProgress } from '../components/challenge-progress.tsx';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { ReceiptBox } from '../components/receipt-box.tsx';
import { VerifyEmail } from '../components/verify-email.tsx';
import { VoteError } from '../components/vote-error.tsx';
import { ElectionLinks } from '../components/election-links.tsx';
import { Link, navigate } from '../router.tsx';
import { useAsync } from '../use-async.ts';
import { useSession } from '../use-session.ts';

export function choiceHint(q: Question): string {
  const { minSelections: min, maxSelections: max } = q;
  if (min === max) return max === 1 ? 'Choose one.' : `Choose exactly ${max}.`;
  return `Choose ${min} to ${max}.`;
}

function questionError(q: Question, picked: string[]): string | undefined {
  if (picked.length < q.minSelections) return `Pick at least ${q.minSelections}.`;
  if (picked.length > q.maxSelections) return `Pick at most ${q.maxSelections}.`;
  return undefined;
}

export function BallotScreen({ electionId }: { electionId: string }) {
  const session = useSession();
  const [state] = useAsync(async () => {
    const election = await getElection(electionId);
    // Someone who already voted sees their receipt rather than a ballot they cannot cast.
    const existing = session
      ? await myVote(electionId).catch((err) => {
          if (err instanceof ApiError && err.status === 404) return undefined;
          throw err;
        })
      : undefined;
    return { election, existing };
  }, [electionId, session?.accessToken === undefined]);

  if (state.status === 'loading') return <Loading what="Loading the ballot" />;
  if (state.status === 'error')
    return (
      <Page title="Ballot">
        <ErrorNotice error={state.error} />
      </Page>
    );
  const { election, existing } = state.value;
  if (existing) {
    return (
      <Page title={election.title}>
        <Notice kind="success" testId="already-voted">
          You have already voted in this election.
        </Notice>
        <ReceiptBox receiptId={existing.receiptId} countedAt={existing.countedAt} />
        <ElectionLinks election={election} />
      </Page>
    );
  }
  return <BallotForm election={election} signedIn={session !== null} />;
}

function BallotForm({ election, signedIn }: { election: Election; signedIn: boolean }) {
  const [picks, setPicks] = useState<Record<string, string[]>>({});
  const [showErrors, setShowErrors] = useState(false);
  const [progress, setProgress] = useState<VoteProgress>();
  const [error, setError] = useState<unknown>();
  const session = useSession();
  const formRef = useRef<HTMLFormElement>(null);
  const busy = progress !== undefined;

  const toggle = (q: Question, optionId: string, checked: boolean) => {
    setPicks((current) => {
      const list = current[q.id] ?? [];
      if (q.maxSelections === 1) return { ...current, [q.id]: checked ? [optionId] : [] };
      const next = checked
        ? [...list.filter((id) => id !== optionId), optionId]
        : list.filter((id) => id !== optionId);
      return { ...current, [q.id]: next };
    });
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const invalid = election.questions.find((q) => questionError(q, picks[q.id] ?? []));
    if (invalid) {
      setShowErrors(true);
      formRef.current?.querySelector<HTMLElement>(`#q-${invalid.id} input`)?.focus();
      return;
    }
    try {
      const selections = election.questions.map((q) => ({ questionId: q.id, optionIds: picks[q.id] ?? [] }));
      const receipt = await castVote(election.id, selections, setProgress);
      navigate(`/elections/${election.id}/receipt?r=${encodeURIComponent(receipt.receiptId)}`);
    } catch (err) {
      setError(err);
      setProgress(undefined);
    }
  };

  // After these answers the ballot cannot be cast any more: show only what happened.
  if (error instanceof ApiError && (error.code === 'already_voted' || error.code === 'election_not_open')) {
    return (
      <Page title={election.title}>
        <VoteError error={error} election={election} />
      </Page>
    );
  }

  if (election.status !== 'open') {
    return (
      <Page title={election.title}>
        <Notice kind="warning">
          {election.status === 'draft' ? 'This election has not opened yet.' : 'This election is closed.'}
        </Notice>
        <ElectionLinks election={election} />
      </Page>
    );
  }

  // An election for verified addresses: the voter proves theirs here, before casting.
  const mustVerify = election.eligibility === 'verified_email' && session?.me !== undefined && !session.me.emailVerified;
  return (
    <Page title={election.title}>
      {election.description ? <p>{election.description}</p> : null}
      {mustVerify && session?.me ? <VerifyEmail email={session.me.email} onVerified={() => setError(undefined)} /> : null}
      {!signedIn ? (
        <Notice kind="info">
          <Link href={`/login?next=${encodeURIComponent(`/elections/${election.id}`)}`}>Sign in</Link> or{' '}
          <Link href={`/register?next=${encodeURIComponent(`/elections/${election.id}`)}`}>
            create an account
          </Link>{' '}
          to vote.
        </Notice>
      ) : null}
      <form ref={formRef} className="ballot" onSubmit={submit} aria-describedby="ballot-help">
        <p id="ballot-help" className="muted small">
          You can vote once. Your choices are final once counted.
        </p>
        {election.questions.map((q) => {
          const picked = picks[q.id] ?? [];
          const problem = showErrors ? questionError(q, picked) : undefined;
          const single = q.maxSelections === 1;
          return (
            <fieldset
              key={q.id}
              id={`q-${q.id}`}
              className="card question"
              aria-invalid={problem ? true : undefined}
            >
              <legend>{q.title}</legend>
              <p className="muted small" id={`hint-${q.id}`}>
                {choiceHint(q)}
                {!single ? ` ${picked.length} of ${q.maxSelections} chosen.` : ''}
              </p>
              {q.options.map((o) => {
                const checked = picked.includes(o.id);
                const full = !single && !checked && picked.length >= q.maxSelections;
                return (
                  <label key={o.id} className={`option${checked ? ' checked' : ''}${full ? ' full' : ''}`}>
                    <input
                      type={single ? 'radio' : 'checkbox'}
                      name={`q-${q.id}`}
                      value={o.id}
                      checked={checked}
                      disabled={busy || full}
                      aria-describedby={`hint-${q.id}`}
                      onChange={(e) => toggle(q, o.id, e.target.checked)}
                    />
                    <span>{o.label}</span>
                  </label>
                );
              })}
              {problem ? (
                <p className="field-error" role="alert">
                  {problem}
                </p>
              ) : null}
            </fieldset>
          );
        })}
        {error ? <VoteError error={error} election={election} /> : null}
        {progress?.phase === 'challenge' ? <ChallengeProgress estimate={progress.estimate} /> : null}
        {progress?.phase === 'waiting' ? (
          <p role="status" className="muted">
            {progress.reason}: trying again in {progress.seconds} s (attempt {progress.attempt + 1}). Your
            vote is not lost.
          </p>
        ) : null}
        {progress?.phase === 'sending' ? (
          <p role="status" className="muted">
            Sending your vote…
          </p>
        ) : null}
        <button type="submit" className="big" disabled={busy || !signedIn}>
          Cast my vote
        </button>
      </form>
    </Page>
  );
}
