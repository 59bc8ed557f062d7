import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/http.ts';
import { describeError } from '../api/messages.ts';
import { getRoll, rollErrorDetail, uploadRoll } from '../api/rolls.ts';
import type { Election, RollUploaded } from '../api/types.ts';
import { ErrorNotice, Loading, Notice } from '../components/notice.tsx';
import { useAsync } from '../use-async.ts';

type Upload =
  | { phase: 'idle' }
  | { phase: 'sending'; name: string; sent: number; total: number }
  | { phase: 'done'; name: string; total: number; result: RollUploaded }
  | { phase: 'failed'; name: string; sent: number; total: number; message: string };

const count = (n: number, one: string, many: string) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

export function rollSummary({ size, added, invalid }: RollUploaded): string {
  return `${count(size, 'address', 'addresses')} on the roll (${added.toLocaleString()} new), ${count(invalid, 'line was', 'lines were')} not an address`;
}

function percentOf(sent: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((sent * 100) / total)) : 100;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The voter roll of an election: its size and turnout, and a CSV upload that replaces it, sent
 * with XMLHttpRequest so that the bar can show the bytes sent. A closed election's roll is final.
 */
export function RollPanel({
  election,
  onElectionChanged,
  onUploaded,
}: {
  election: Election;
  /** The server refused because the election changed (closed meanwhile): read it again. */
  onElectionChanged: () => void;
  onUploaded: () => void;
}) {
  const [summary, reloadSummary] = useAsync(() => getRoll(election.id), [election.id]);
  const [file, setFile] = useState<File | null>(null);
  const [upload, setUpload] = useState<Upload>({ phase: 'idle' });
  const form = useRef<HTMLFormElement>(null);
  const running = useRef<AbortController | null>(null);
  // Leaving the page stops an upload still in flight.
  useEffect(() => () => running.current?.abort(), []);

  const closed = election.status === 'closed';
  const isRoll = election.eligibility === 'roll';
  const size = summary.status === 'done' ? summary.value.size : undefined;
  const replacing = size !== undefined && size > 0;
  const sending = upload.phase === 'sending';

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!file || sending) return;
    const controller = new AbortController();
    running.current = controller;
    const { name } = file;
    let sent = 0;
    setUpload({ phase: 'sending', name, sent, total: file.size });
    try {
      const result = await uploadRoll(
        election.id,
        file,
        (bytes, total) => {
          sent = bytes;
          setUpload({ phase: 'sending', name, sent: bytes, total });
        },
        controller.signal,
      );
      setUpload({ phase: 'done', name, total: file.size, result });
      onUploaded();
      setFile(null);
      form.current?.reset();
    } catch (err) {
      if (controller.signal.aborted) {
        setUpload({ phase: 'failed', name, sent, total: file.size, message: 'Upload cancelled. The roll did not change.' });
        return;
      }
      setUpload({ phase: 'failed', name, sent, total: file.size, message: rollErrorDetail(err) ?? describeError(err) });
      // The election may have closed meanwhile: show it as it is now.
      if (err instanceof ApiError && err.code === 'invalid_transition') onElectionChanged();
    } finally {
      running.current = null;
      reloadSummary();
    }
  };

  const percent = upload.phase === 'idle' ? 0 : upload.phase === 'done' ? 100 : percentOf(upload.sent, upload.total);
  // Screen readers hear the progress in steps of a tenth, not every event.
  const announcement =
    upload.phase === 'sending'
      ? percent < 100
        ? `Uploading the roll: ${Math.floor(percent / 10) * 10}% sent`
        : 'Upload sent; the addresses are being checked'
      : upload.phase === 'done'
        ? `Roll uploaded. ${rollSummary(upload.result)}.`
        : upload.phase === 'failed'
          ? `Upload failed. ${upload.message}`
          : '';

  return (
    <section className="card" aria-labelledby="roll-h">
      <h2 id="roll-h">Voter roll</h2>
      <p className="muted small" data-testid="roll-scope">
        {isRoll
          ? 'Only voters whose verified email address is on this roll can vote in this election.'
          : 'The roll only matters when “Who can vote” is “voters on the voter roll”. This election does not check it.'}
      </p>
      {summary.status === 'loading' ? <Loading what="Loading the roll" /> : null}
      {summary.status === 'error' ? <ErrorNotice error={summary.error} /> : null}
      {summary.status === 'done' ? (
        <>
          <dl className="stats">
            <div>
              <dt>Addresses on the roll</dt>
              <dd data-testid="roll-size">{summary.value.size.toLocaleString()}</dd>
            </div>
            <div>
              <dt>Ballots counted</dt>
              <dd data-testid="roll-voted">{summary.value.voted.toLocaleString()}</dd>
            </div>
          </dl>
          {isRoll && summary.value.size === 0 && !closed ? (
            <Notice kind="warning" testId="roll-empty">
              The roll is empty: nobody can vote in this election until you upload one.
            </Notice>
          ) : null}
        </>
      ) : null}

      {closed ? (
        <p className="muted small" data-testid="roll-closed">
          The election is closed: its roll can no longer change.
        </p>
      ) : null}
      <form ref={form} className="form" onSubmit={submit} aria-describedby="roll-format">
        <label>
          CSV file of email addresses
          <input
            type="file"
            accept=".csv,text/csv,text/plain"
            disabled={closed || sending}
            onChange={(e) => setFile(e.target.files?.[0] ?? null)}
          />
        </label>
        <p id="roll-format" className="muted small">
          One address per line, optionally under a first line <code>email</code>; at most 1,000,000 lines. Case and
          duplicates do not matter.{' '}
          {replacing && !closed
            ? `Uploading replaces the whole roll: the ${count(size, 'address', 'addresses')} on it now are removed unless the new file lists them.`
            : null}
        </p>
        <div className="row">
          <button type="submit" disabled={closed || sending || !file}>
            {sending ? 'Uploading…' : replacing ? 'Replace roll' : 'Upload roll'}
          </button>
          {sending ? (
            <button type="button" className="secondary" onClick={() => running.current?.abort()}>
              Cancel upload
            </button>
          ) : null}
        </div>
      </form>

      {upload.phase !== 'idle' ? (
        <div className="roll-upload">
          <label>
            <span data-testid="roll-progress-text">
              {upload.phase === 'sending' ? 'Uploading' : 'Sent'} {upload.name} ({formatBytes(upload.total)}): {percent}%
            </span>
            <progress max={100} value={percent} data-testid="roll-progress" />
          </label>
          {upload.phase === 'sending' && percent === 100 ? (
            <p className="muted small">Checking the addresses…</p>
          ) : null}
          {upload.phase === 'done' ? (
            <div className="notice notice-success" data-testid="roll-result">
              {rollSummary(upload.result)}
            </div>
          ) : null}
          {upload.phase === 'failed' ? (
            <div className="notice notice-error" data-testid="roll-error">
              {upload.message}
            </div>
          ) : null}
        </div>
      ) : null}
      {/* One polite region, always present, so that what it says is announced; the notices above are not live too. */}
      <div className="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="roll-announcement">
        {announcement}
      </div>
    </section>
  );
}
