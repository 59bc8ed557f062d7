import type { Metrics } from '@onevote/platform';
import { Counter, Gauge, Histogram } from 'prom-client';

export type Transport = 'sse' | 'ws';

/** The results service's own metrics, on the process registry. */
export function createResultsMetrics(metrics: Metrics) {
  const registers = [metrics.registry];
  return {
    connections: new Gauge({
      name: 'results_connections_open',
      help: 'Open result streams by transport',
      labelNames: ['transport'] as const,
      registers,
    }),
    electionViewers: new ElectionViewers(
      new Gauge({
        name: 'results_election_viewers',
        help: "Open result streams of one election by transport (the admin operations view's); a series exists only while the election has viewers",
        labelNames: ['election', 'transport'] as const,
        registers,
      }),
    ),
    frames: new Counter({
      name: 'results_frames_sent_total',
      help: 'Result frames written to clients by transport',
      labelNames: ['transport'] as const,
      registers,
    }),
    slowClients: new Counter({
      name: 'results_slow_clients_disconnected_total',
      help: 'Clients cut off because they left more than MAX_CLIENT_BUFFER_BYTES unread',
      labelNames: ['transport'] as const,
      registers,
    }),
    lag: new Histogram({
      name: 'results_commit_to_frame_seconds',
      help: 'From a commit (TallyChanged.committedAt) to the first frame that includes it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5],
      registers,
    }),
    reads: new Counter({
      name: 'results_tally_reads_total',
      help: 'Tally re-reads from PostgreSQL by trigger and outcome',
      labelNames: ['trigger', 'outcome'] as const,
      registers,
    }),
    notifications: new Counter({
      name: 'results_tally_notifications_total',
      help: 'TallyChanged notifications received',
      registers,
    }),
  };
}

/**
 * Viewers per election. The label is bounded by the elections being watched now (a stream is
 * admitted only for an election that exists): a series is removed when its last viewer leaves.
 */
export class ElectionViewers {
  private readonly open = new Map<string, number>();

  constructor(private readonly gauge: Gauge<'election' | 'transport'>) {}

  /** Counts one viewer in; returns its leaving (idempotent). */
  add(electionId: string, transport: Transport): () => void {
    const key = `${transport} ${electionId}`;
    const labels = { election: electionId, transport };
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
    this.gauge.inc(labels);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const n = (this.open.get(key) ?? 1) - 1;
      if (n > 0) {
        this.open.set(key, n);
        this.gauge.dec(labels);
      } else {
        this.open.delete(key);
        this.gauge.remove(labels);
      }
    };
  }
}

export type ResultsMetrics = ReturnType<typeof createResultsMetrics>;
