import type { OperationsOutcome, OperationsSnapshot } from '../api/types.ts';
import { ErrorNotice, Notice } from '../components/notice.tsx';
import { type ChartSeries, TimeChart } from '../components/time-chart.tsx';
import { Link } from '../router.tsx';
import { type OperationsConnection, useOperationsStream } from '../use-operations-stream.ts';

/** The outcomes drawn, in stacking order (counted at the bottom), with their labels and colours. */
const outcomes: { key: OperationsOutcome; label: string; tone: string }[] = [
  { key: 'counted', label: 'Counted', tone: 'counted' },
  { key: 'replayed', label: 'Retried (same key)', tone: 'replayed' },
  { key: 'already_voted', label: 'Duplicate', tone: 'duplicate' },
  { key: 'rate_limited', label: 'Rate-limited', tone: 'limited' },
  { key: 'challenged', label: 'Challenged', tone: 'challenged' },
  { key: 'denied', label: 'Denied by risk rules', tone: 'denied' },
  { key: 'invalid', label: 'Invalid', tone: 'invalid' },
  { key: 'not_eligible', label: 'Not eligible', tone: 'ineligible' },
  { key: 'not_open', label: 'Election not open', tone: 'other' },
  { key: 'unavailable', label: 'Unavailable (503)', tone: 'unavailable' },
  { key: 'other', label: 'Other', tone: 'other' },
];

/** Frames the server keeps and the charts can show: 5 minutes at one a second. */
const maxSlots = 300;

const perSecond = (n: number) => (n >= 100 ? Math.round(n).toLocaleString() : n.toLocaleString(undefined, { maximumFractionDigits: 1 }));
const ms = (seconds: number) =>
  seconds >= 1
    ? `${seconds.toLocaleString(undefined, { maximumFractionDigits: 1 })} s`
    : `${(seconds * 1000).toLocaleString(undefined, { maximumFractionDigits: seconds < 0.01 ? 1 : 0 })} ms`;
const count = (n: number) => n.toLocaleString(undefined, { maximumFractionDigits: 1 });

const badge: Record<OperationsConnection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  failed: 'Not available',
};

function series(frames: OperationsSnapshot[], pick: (f: OperationsSnapshot) => number | null) {
  return frames.map(pick);
}

/**
 * Live operations from the services' own metrics (GET /v1/admin/operations/stream, or the
 * election's): ballots/s by outcome, p99 latency, the commit queue, viewers and lags as charts over
 * the last five minutes, updated every second. `electionId` absent: every election.
 */
export function OperationsPanel({ electionId, titles = {} }: { electionId?: string; titles?: Record<string, string> }) {
  const { frames, connection, error } = useOperationsStream(electionId ?? null);
  const last = frames.at(-1);
  // Outcomes that never happened in the window stay out of the chart (the legend would be noise);
  // counted and duplicates are always shown.
  const shown = outcomes.filter(
    (o) => o.key === 'counted' || o.key === 'already_voted' || frames.some((f) => f.outcomesPerSecond[o.key] > 0),
  );
  const outcomeSeries: ChartSeries[] = shown.map((o) => ({
    key: o.key,
    label: o.label,
    tone: o.tone,
    values: series(frames, (f) => f.outcomesPerSecond[o.key]),
  }));
  const p99 = last?.latencyP99Seconds ?? null;
  const down = last?.sources.filter((s) => !s.up).map((s) => s.service) ?? [];
  // Answered 201 are counted ballots and same-key retries; everything else was refused.
  const refused = last ? last.requestsPerSecond - last.ballotsPerSecond - last.outcomesPerSecond.replayed : 0;
  // The charts cover the frames there are, from 1 to 5 minutes: a fresh view is not mostly empty.
  const slots = Math.min(maxSlots, Math.max(60, Math.ceil(frames.length / 60) * 60));
  const span = `${slots / 60} min`;
  const small = { slots, span, width: 440, height: 150 };

  return (
    <section className="card ops" aria-labelledby="ops-h" data-testid="operations">
      <div className="row spread">
        <h2 id="ops-h">{electionId ? 'Live operations' : 'Live operations: all elections'}</h2>
        <span className={`badge conn-${connection === 'failed' ? 'failed' : connection}`} role="status" data-testid="ops-connection">
          <span className="dot" aria-hidden="true" />
          {badge[connection]}
        </span>
      </div>
      {connection === 'failed' && error ? <ErrorNotice error={error} /> : null}
      {down.length ? (
        <Notice kind="warning" testId="ops-sources-down">
          No metrics from {down.join(', ')} in the last second: their figures are missing.
        </Notice>
      ) : null}

      <dl className="stats ops-stats">
        <div>
          <dt>Ballots/s now</dt>
          <dd data-testid="ops-ballots-now">{perSecond(last?.ballotsPerSecond ?? 0)}</dd>
        </div>
        <div>
          <dt>Refused/s</dt>
          <dd data-testid="ops-refused-now">{perSecond(Math.max(0, refused))}</dd>
        </div>
        <div>
          <dt>Counted in all</dt>
          <dd data-testid="ops-counted">{count(last?.outcomeTotals.counted ?? 0)}</dd>
        </div>
        <div>
          <dt>Duplicates in all</dt>
          <dd data-testid="ops-duplicates">{count(last?.outcomeTotals.already_voted ?? 0)}</dd>
        </div>
        <div>
          <dt>p99 vote latency</dt>
          <dd data-testid="ops-p99">{p99 === null ? '–' : ms(p99)}</dd>
        </div>
        <div>
          <dt>Result viewers</dt>
          <dd data-testid="ops-viewers">{count((last?.sseViewers ?? 0) + (last?.wsViewers ?? 0))}</dd>
        </div>
      </dl>

      <div className="charts">
        <TimeChart
          title="Vote requests per second, by outcome"
          testId="chart-outcomes"
          series={outcomeSeries}
          stacked
          slots={slots}
          span={span}
          format={perSecond}
        />
        <TimeChart
          title="p99 vote latency (last 10 s)"
          testId="chart-latency"
          series={[{ key: 'p99', label: 'p99', tone: 'latency', values: series(frames, (f) => f.latencyP99Seconds) }]}
          {...small}
          format={ms}
        />
        <TimeChart
          title="Group commit"
          testId="chart-commit"
          series={[
            { key: 'queue', label: 'Queue depth', tone: 'queue', values: series(frames, (f) => f.commitQueueDepth) },
            { key: 'batch', label: 'Batch size (mean)', tone: 'batch', values: series(frames, (f) => f.commitBatchSize) },
          ]}
          {...small}
          format={count}
        />
        <TimeChart
          title="Live result viewers"
          testId="chart-viewers"
          series={[
            { key: 'sse', label: 'SSE', tone: 'sse', values: series(frames, (f) => f.sseViewers) },
            { key: 'ws', label: 'WebSocket', tone: 'ws', values: series(frames, (f) => f.wsViewers) },
          ]}
          {...small}
          format={count}
        />
        <TimeChart
          title="Lags, p99 (last 10 s)"
          testId="chart-lags"
          series={[
            { key: 'frame', label: 'Commit to result frame', tone: 'frame', values: series(frames, (f) => f.frameLagP99Seconds) },
            { key: 'relay', label: 'Relay', tone: 'relay', values: series(frames, (f) => f.relayLagP99Seconds) },
            { key: 'audit', label: 'Audit log', tone: 'audit', values: series(frames, (f) => f.auditLagP99Seconds) },
          ]}
          {...small}
          format={ms}
        />
      </div>

      {!electionId && last?.elections?.length ? (
        <div className="ops-elections">
          <h3>Busiest elections (last 10 s)</h3>
          <ul>
            {last.elections.map((e) => (
              <li key={e.electionId}>
                <Link href={`/admin/elections/${e.electionId}`}>{titles[e.electionId] ?? `Election ${e.electionId.slice(0, 8)}`}</Link>{' '}
                <span className="small">
                  {perSecond(e.ballotsPerSecond)} counted/s of {perSecond(e.requestsPerSecond)} requests/s
                </span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <p className="muted small">
        Totals since the vote-api processes started. From the services’ own metrics, one reading a second shared by every admin watching. Latency, commit and
        lags are the shared pipeline’s{electionId ? '; requests and viewers are this election’s' : ''}.
      </p>
    </section>
  );
}
