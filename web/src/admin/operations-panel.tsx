import { ConnectionBadge } from '../components/connection-badge.tsx';
import { Sparkline } from '../components/sparkline.tsx';
import { useResultsStream } from '../use-results-stream.ts';

/**
 * Live operations from what the public API gives: ballots/s derived from the results stream.
 * Duplicates, rate-limited, challenged and denied counts need an admin stats endpoint backed by the
 * services' metrics, which the API does not have yet.
 */
export function OperationsPanel({ electionId }: { electionId: string }) {
  const { results, connection, rates } = useResultsStream(electionId);
  const now = rates.at(-1) ?? 0;
  const peak = Math.max(0, ...rates);
  const minuteAverage = rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : 0;
  return (
    <section className="card ops" aria-labelledby="ops-h">
      <div className="row spread">
        <h2 id="ops-h">Live operations</h2>
        <ConnectionBadge connection={connection} />
      </div>
      <dl className="stats">
        <div>
          <dt>Counted ballots</dt>
          <dd data-testid="ops-total">{(results?.totalBallots ?? 0).toLocaleString()}</dd>
        </div>
        <div>
          <dt>Ballots/s now</dt>
          <dd>{now.toFixed(1)}</dd>
        </div>
        <div>
          <dt>Average (1 min)</dt>
          <dd>{minuteAverage.toFixed(1)}</dd>
        </div>
        <div>
          <dt>Peak (1 min)</dt>
          <dd>{peak.toFixed(1)}</dd>
        </div>
      </dl>
      <Sparkline
        values={rates}
        width={480}
        height={60}
        label={`Ballots per second over the last minute; now ${now.toFixed(1)}`}
      />
      <p className="muted small">
        Duplicates, rate-limited, challenged and denied requests need an admin statistics endpoint, which the
        API does not offer yet.
      </p>
    </section>
  );
}
