/**
 * The live-event board: what an operator watches on the night of a vote. Built with Grafana's
 * foundation SDK; `npm run dashboards` writes it to dashboards/live-event.json (committed; a test
 * checks that the file is what this code generates, and runs every query against a real
 * Prometheus). Queries read the recording rules in deploy/prometheus/rules where one exists.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  type DataSourceRef,
  DatasourceVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as TimeseriesBuilder } from '@grafana/grafana-foundation-sdk/timeseries';

/** Every panel queries the Prometheus picked in the dashboard's `datasource` variable. */
const datasource: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

export interface Query {
  expr: string;
  legend: string;
}

interface PanelSpec {
  title: string;
  description: string;
  unit: string;
  queries: Query[];
  /** Draw a dashed red line at this value (an alert's threshold). */
  threshold?: number;
  stacked?: boolean;
  width?: number;
}

function timeseries(spec: PanelSpec): TimeseriesBuilder {
  const panel = new TimeseriesBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(datasource)
    .unit(spec.unit)
    .height(8)
    .span(spec.width ?? 8)
    .lineWidth(1)
    .fillOpacity(spec.stacked ? 30 : 10)
    .legend(new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.List).placement(common.LegendPlacement.Bottom).showLegend(true))
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (spec.stacked) panel.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.threshold !== undefined) {
    panel
      .thresholds(
        new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
          { value: null, color: 'green' },
          { value: spec.threshold, color: 'red' },
        ]),
      )
      .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
  }
  spec.queries.forEach((q, i) => {
    panel.withTarget(
      new DataqueryBuilder()
        .datasource(datasource)
        .expr(q.expr)
        .legendFormat(q.legend)
        .range()
        .refId(String.fromCharCode(65 + i)),
    );
  });
  return panel;
}

const rows: { title: string; panels: PanelSpec[] }[] = [
  {
    title: 'Ballots',
    panels: [
      {
        title: 'Ballots/s by outcome',
        description: 'vote_ballots_total by outcome: counted, replayed, already_voted, or the refusal code (rate over 1 min).',
        unit: 'reqps',
        stacked: true,
        queries: [{ expr: 'onevote:vote_ballots:rate1m', legend: '{{outcome}}' }],
      },
      {
        title: 'Vote latency p50 / p99',
        description: 'POST /v1/elections/:id/votes at vote-api; the SLO line is 100 ms (docs/slo.md).',
        unit: 's',
        threshold: 0.1,
        queries: [
          { expr: 'onevote:vote_latency_seconds:p50_1m', legend: 'p50' },
          { expr: 'onevote:vote_latency_seconds:p99_1m', legend: 'p99' },
        ],
      },
      {
        title: 'SLO: bad ballots (5 min)',
        description: 'Share of valid ballots answered 5xx, and of vote requests slower than 100 ms. Budget: 0.05%.',
        unit: 'percentunit',
        threshold: 0.0005,
        queries: [
          { expr: 'slo:vote_errors:ratio_rate5m', legend: 'failed (5xx)' },
          { expr: 'slo:vote_slow:ratio_rate5m', legend: 'slower than 100 ms' },
        ],
      },
    ],
  },
  {
    title: 'Group commit',
    panels: [
      {
        title: 'Commit queue depth',
        description: 'Ballots waiting for a group-commit transaction, per vote-api; over the limit they are answered 503.',
        unit: 'short',
        queries: [
          { expr: 'sum by (instance) (vote_commit_queue_depth)', legend: 'waiting {{instance}}' },
          { expr: 'max(vote_commit_queue_limit)', legend: 'limit' },
        ],
      },
      {
        title: 'Commit batch size',
        description: 'Ballots per group-commit transaction: the mean, and the p99 of the histogram.',
        unit: 'short',
        queries: [
          { expr: 'onevote:vote_commit_batch_size:avg_1m', legend: 'mean' },
          { expr: 'histogram_quantile(0.99, sum by (le) (rate(vote_commit_batch_size_bucket[1m])))', legend: 'p99' },
        ],
      },
      {
        title: 'Commit duration p99 and store breaker',
        description: 'One group-commit transaction (including waiting for a connection); 1 while a vote-api’s PostgreSQL breaker is open.',
        unit: 's',
        queries: [
          { expr: 'histogram_quantile(0.99, sum by (le) (rate(vote_commit_duration_seconds_bucket[1m])))', legend: 'commit p99' },
          { expr: 'max by (instance) (vote_store_breaker_open)', legend: 'breaker open {{instance}}' },
        ],
      },
    ],
  },
  {
    title: 'Live results and the log',
    panels: [
      {
        title: 'Result stream connections',
        description: 'Open SSE and WebSocket result streams.',
        unit: 'short',
        stacked: true,
        queries: [{ expr: 'onevote:results_connections:sum', legend: '{{transport}}' }],
      },
      {
        title: 'Result stream lag p99',
        description: 'From a commit to the first results frame that shows it; alert over 1 s (ResultsStreamLagHigh).',
        unit: 's',
        threshold: 1,
        queries: [{ expr: 'onevote:results_commit_to_frame_seconds:p99_1m', legend: 'commit → frame p99' }],
      },
      {
        title: 'Relay and audit lag',
        description: 'Commit → BALLOTS (relay, p99), BALLOTS → signed head (audit, p99), and the oldest leaf no signed head covers yet.',
        unit: 's',
        queries: [
          { expr: 'onevote:relay_lag_seconds:p99_5m', legend: 'relay p99' },
          { expr: 'onevote:audit_lag_seconds:p99_5m', legend: 'audit p99' },
          { expr: 'max(audit_unsigned_leaf_age_seconds)', legend: 'oldest unsigned leaf' },
        ],
      },
    ],
  },
  {
    title: 'Risk and registrations',
    panels: [
      {
        title: 'Risk outcomes by reason',
        description: 'Risk rule decisions that were not "allow" (challenge, deny), by the rule that decided.',
        unit: 'reqps',
        stacked: true,
        width: 12,
        queries: [{ expr: 'onevote:vote_risk_decisions:rate5m', legend: '{{outcome}} {{reason}}' }],
      },
      {
        title: 'Registrations by outcome',
        description: 'identity registrations: created, rate_limited, challenge_failed, weak_password, email_taken, invalid_request.',
        unit: 'reqps',
        stacked: true,
        width: 12,
        queries: [{ expr: 'onevote:identity_registrations:rate5m', legend: '{{outcome}}' }],
      },
    ],
  },
  {
    title: 'Processes and servers',
    panels: [
      {
        title: 'CPU per service',
        description: 'Cores used by each service (all its replicas).',
        unit: 'percentunit',
        queries: [{ expr: 'onevote:process_cpu:rate1m', legend: '{{service}}' }],
      },
      {
        title: 'Memory per service',
        description: 'Resident memory of each service.',
        unit: 'bytes',
        queries: [{ expr: 'sum by (service) (process_resident_memory_bytes{job="onevote"})', legend: '{{service}}' }],
      },
      {
        title: 'Up',
        description: 'Services scraped (up), and PostgreSQL, Redis and NATS as their exporters see them.',
        unit: 'short',
        queries: [
          { expr: 'up{job="onevote"}', legend: '{{service}}' },
          { expr: 'pg_up', legend: 'postgres' },
          { expr: 'redis_up', legend: 'redis' },
          { expr: 'nats_up', legend: 'nats' },
        ],
      },
    ],
  },
];

export function liveEventDashboard() {
  const board = new DashboardBuilder('OneVote: live event')
    .uid('onevote-live-event')
    .description('Ballots, latency, the group commit, live results, the log, risk and CPU during a vote (deploy/grafana).')
    .tags(['onevote'])
    .refresh('5s')
    .time({ from: 'now-30m', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .readonly()
    .withVariable(new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus'));
  for (const row of rows) {
    board.withRow(new RowBuilder(row.title));
    for (const spec of row.panels) board.withPanel(timeseries(spec));
  }
  return board.build();
}

/** Every query of the board (the test runs each against Prometheus). */
export const liveEventQueries: Query[] = rows.flatMap((r) => r.panels.flatMap((p) => p.queries));
