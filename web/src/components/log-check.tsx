import type { LogCheckView } from '../use-receipt-log-check.ts';

export function formatTime(timestamp: string): string {
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? timestamp : date.toLocaleString();
}

function message(view: LogCheckView) {
  switch (view.state) {
    case 'idle':
      return null;
    case 'checking':
      return (
        <p className="notice">
          {view.attempt === 1 ? 'Checking the public log…' : 'Not in the public log yet. It can take a few seconds; checking again…'}
        </p>
      );
    case 'verified':
      return (
        <p className="notice notice-success">
          <strong>Verified in the public log</strong> — leaf {(view.leafIndex + 1).toLocaleString()} of{' '}
          {view.head.treeSize.toLocaleString()}, head signed {formatTime(view.head.timestamp)}.{' '}
          <span className="small">Your browser checked the log's signature and the proof itself.</span>
        </p>
      );
    case 'not_in_log':
      return (
        <p className="notice notice-warning">
          {view.final
            ? 'Not in the public log. The log of this closed election is final, and this receipt is not in it.'
            : 'Not in the public log yet — check again later.'}
        </p>
      );
    case 'failed':
      return <p className="notice notice-error">The public log check failed: {view.reason}.</p>;
  }
}

/**
 * The result of a receipt's check. The message sits in a live region that is always in the page,
 * so each new state is announced; the "Check again" button stays outside it.
 */
export function LogCheck({ view, onRecheck }: { view: LogCheckView; onRecheck?: () => void }) {
  const done = view.state === 'not_in_log' || view.state === 'failed';
  return (
    <div className="log-check">
      <div role="status" aria-atomic="true" data-testid="log-check" data-state={view.state}>
        {message(view)}
      </div>
      {done && onRecheck ? (
        <button type="button" className="secondary" onClick={onRecheck}>
          Check again
        </button>
      ) : null}
    </div>
  );
}
