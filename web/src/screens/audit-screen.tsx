import { type FormEvent, useState } from 'react';
import { getElection } from '../api/elections.ts';
import { CopyButton } from '../components/copy-button.tsx';
import { ElectionLinks } from '../components/election-links.tsx';
import { formatTime, LogCheck } from '../components/log-check.tsx';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { Page } from '../components/page.tsx';
import { isReceiptId } from '../domain/receipt-id.ts';
import { useAsync } from '../use-async.ts';
import { useReceiptLogCheck } from '../use-receipt-log-check.ts';
import { type SignedHeadView, useSignedHead } from '../use-signed-head.ts';

/** The public audit page of an election: open to anyone, signed in or not. */
export function AuditScreen({ electionId, receiptId }: { electionId: string; receiptId: string }) {
  const [election] = useAsync(() => getElection(electionId), [electionId]);
  const head = useSignedHead(electionId);
  if (election.status === 'loading') return <Loading what="Loading the audit log" />;
  if (election.status === 'error')
    return (
      <Page title="Public audit log">
        <ErrorNotice error={election.error} />
      </Page>
    );
  return (
    <Page title={`Public audit log: ${election.value.title}`}>
      <p>
        Every counted ballot goes into this election's public log, which the server signs. Nothing in the log shows who
        voted. Your browser checks what it shows here.
      </p>
      <SignedHeadCard view={head} />
      <ReceiptCheckForm electionId={electionId} initialReceiptId={receiptId} />
      <VerifierCommand electionId={electionId} />
      <ElectionLinks election={election.value} current="audit" />
    </Page>
  );
}

function SignedHeadCard({ view }: { view: SignedHeadView }) {
  return (
    <section className="card" aria-labelledby="head-title" data-testid="signed-head">
      <h2 id="head-title">Latest signed head</h2>
      {view.status === 'loading' ? (
        <p className="muted">Reading the log…</p>
      ) : view.status === 'no_log' ? (
        <p>This election's log has no signed head yet.</p>
      ) : view.status === 'unreachable' ? (
        <Notice kind="warning">The public log could not be reached. Trying again…</Notice>
      ) : view.status === 'failed' ? (
        <Notice kind="error">The log's head did not pass the check: {view.reason}.</Notice>
      ) : (
        <dl className="facts">
          <div>
            <dt>Entries</dt>
            <dd data-testid="head-size">{view.signed.head.treeSize.toLocaleString()}</dd>
          </div>
          <div>
            <dt>Signed</dt>
            <dd data-testid="head-time">{formatTime(view.signed.head.timestamp)}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd data-testid="head-final">{view.signed.head.final ? 'Final' : 'Still growing'}</dd>
          </div>
          <div>
            <dt>Signature</dt>
            <dd data-testid="head-signature">Valid</dd>
          </div>
          <div className="wide">
            <dt>Root hash</dt>
            <dd>
              <code className="break" data-testid="head-root">
                {view.signed.head.rootHash}
              </code>
            </dd>
          </div>
          <div className="wide">
            <dt>Key id</dt>
            <dd>
              <code className="break">{view.signed.keyId}</code>
            </dd>
          </div>
        </dl>
      )}
      <p className="muted small">
        Entries count ballots and election events (created, opened, closed). The log is final once the election is closed
        and every counted ballot is in it.
      </p>
    </section>
  );
}

function ReceiptCheckForm({ electionId, initialReceiptId }: { electionId: string; initialReceiptId: string }) {
  const [text, setText] = useState(initialReceiptId);
  const [invalid, setInvalid] = useState(false);
  const { view, check } = useReceiptLogCheck(electionId);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const receiptId = text.trim();
    setInvalid(!isReceiptId(receiptId));
    if (isReceiptId(receiptId)) check(receiptId);
  };
  return (
    <section className="card" aria-labelledby="check-title">
      <h2 id="check-title">Check a receipt</h2>
      <form className="form" onSubmit={submit} noValidate>
        <label>
          Receipt id
          <input
            name="receiptId"
            value={text}
            onChange={(event) => setText(event.target.value)}
            autoComplete="off"
            autoCapitalize="off"
            spellCheck={false}
            aria-invalid={invalid}
            aria-describedby={invalid ? 'receipt-hint receipt-error' : 'receipt-hint'}
          />
        </label>
        <p id="receipt-hint" className="muted small">
          It is on your receipt and under "My vote".
        </p>
        {invalid ? (
          <p id="receipt-error" className="field-error">
            That is not a receipt id. Paste it as shown on your receipt.
          </p>
        ) : null}
        <div>
          <button type="submit">Check</button>
        </div>
      </form>
      <LogCheck view={view} onRecheck={view.state === 'idle' ? undefined : () => check(view.receiptId)} />
    </section>
  );
}

function VerifierCommand({ electionId }: { electionId: string }) {
  const command = `npm run verify -- --url ${location.origin} --election ${electionId}`;
  return (
    <section className="card" aria-labelledby="verifier-title">
      <h2 id="verifier-title">Check the whole log yourself</h2>
      <p>In a copy of the OneVote repository, with Node 20 or later, run:</p>
      <div className="command">
        <code className="break" data-testid="verifier-command">
          {command}
        </code>
        <CopyButton text={command} label="Copy command" />
      </div>
      <p className="muted small">
        It checks the head's signature, rebuilds the log from every entry, checks that the log only grew since your last
        run, and recounts the ballots to compare with the results. Add <code>--receipt &lt;receipt id&gt;</code> to check
        a receipt too.
      </p>
    </section>
  );
}
