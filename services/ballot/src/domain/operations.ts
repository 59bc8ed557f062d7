import {
  type OperationsOutcome,
  operationsOutcomeOf,
  operationsOutcomes,
  type OperationsSnapshot,
  routes,
} from '@onevote/contracts';
import { bucketIncrease, bucketsOf, type LabelMatch, quantileOf, type Sample, sumOf } from '@onevote/platform';
import type { Static } from '@sinclair/typebox';

export type Snapshot = Static<typeof OperationsSnapshot>;

/** The metrics the operations view reads; a scrape keeps only these (a scrape is a few hundred samples). */
export const operationsMetricNames = [
  'vote_ballots_total',
  'vote_election_ballots_total',
  'vote_commit_queue_depth',
  'vote_commit_batch_size_sum',
  'vote_commit_batch_size_count',
  'http_request_duration_seconds_bucket',
  'results_connections_open',
  'results_election_viewers',
  'results_commit_to_frame_seconds_bucket',
  'relay_lag_seconds_bucket',
  'audit_lag_seconds_bucket',
] as const;

/** One service process's metrics at one tick. `up` false: it did not answer (its samples are empty). */
export interface TargetScrape {
  service: string;
  /** Where it was read from: the same target at two ticks is the same process (or its restart). */
  target: string;
  up: boolean;
  samples: Sample[];
}

export interface Scrape {
  /** ms since the epoch */
  at: number;
  targets: TargetScrape[];
}

const voteRoute = { method: 'POST', route: routes.castVote.url } as const;

type Series = Map<string, { labels: Record<string, string>; value: number }>;

function series(samples: readonly Sample[], name: string, match?: (labels: Record<string, string>) => boolean): Series {
  const out: Series = new Map();
  for (const s of samples) {
    if (s.name !== name || (match && !match(s.labels))) continue;
    out.set(JSON.stringify(s.labels), { labels: s.labels, value: s.value });
  }
  return out;
}

/**
 * Each series' increase from one scrape of a target to the next, as PromQL's increase() reads a
 * counter: a value that went down is a restart (or an evicted series come back), counted from 0.
 */
function increases(
  before: Scrape,
  after: Scrape,
  name: string,
  match?: (labels: Record<string, string>) => boolean,
): { labels: Record<string, string>; increase: number }[] {
  const out: { labels: Record<string, string>; increase: number }[] = [];
  for (const target of after.targets) {
    if (!target.up) continue;
    const old = before.targets.find((t) => t.target === target.target);
    // A target not read before has no baseline: its first scrape counts nothing.
    if (!old?.up) continue;
    const was = series(old.samples, name, match);
    for (const [key, { labels, value }] of series(target.samples, name, match)) {
      const previous = was.get(key)?.value ?? 0;
      out.push({ labels, increase: value >= previous ? value - previous : value });
    }
  }
  return out;
}

function histogramIncrease(before: Scrape, after: Scrape, name: string, match?: LabelMatch): [number, number][] {
  const merged = new Map<number, number>();
  for (const target of after.targets) {
    if (!target.up) continue;
    const old = before.targets.find((t) => t.target === target.target);
    if (!old?.up) continue;
    for (const [le, n] of bucketIncrease(bucketsOf(old.samples, name, match), bucketsOf(target.samples, name, match))) {
      merged.set(le, (merged.get(le) ?? 0) + n);
    }
  }
  return [...merged].sort((a, b) => a[0] - b[0]);
}

function p99(before: Scrape, after: Scrape, name: string, match?: LabelMatch): number | null {
  return quantileOf(histogramIncrease(before, after, name, match), 0.99) ?? null;
}

function current(scrape: Scrape, service: string, name: string, match?: LabelMatch): number {
  let sum = 0;
  for (const t of scrape.targets) if (t.up && t.service === service) sum += sumOf(t.samples, name, match);
  return sum;
}

function zeroes(): Record<OperationsOutcome, number> {
  return Object.fromEntries(operationsOutcomes.map((o) => [o, 0])) as Record<OperationsOutcome, number>;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Outcome categories of a vote_ballots_total (overall) or vote_election_ballots_total (one election) series. */
function categoryOf(labels: Record<string, string>, electionId: string | null): OperationsOutcome {
  if (electionId !== null) return (operationsOutcomes as readonly string[]).includes(labels.outcome ?? '') ? (labels.outcome as OperationsOutcome) : 'other';
  return operationsOutcomeOf(labels.outcome ?? '', labels.reason ?? '');
}

function outcomeSeries(electionId: string | null) {
  return electionId === null
    ? { name: 'vote_ballots_total', match: undefined }
    : { name: 'vote_election_ballots_total', match: (l: Record<string, string>) => l.election === electionId };
}

/**
 * One frame of the operations view from three scrapes: the last (`now`), the one before it (rates
 * per second) and the oldest of the window (percentiles and batch size over ~10 s, steadier than
 * one second's few observations). `electionId` null: every election.
 */
export function operationsSnapshot(
  scrapes: { now: Scrape; previous: Scrape; windowStart: Scrape },
  electionId: string | null,
): Snapshot {
  const { now, previous, windowStart } = scrapes;
  const seconds = Math.max(0.001, (now.at - previous.at) / 1000);
  const { name, match } = outcomeSeries(electionId);

  const perSecond = zeroes();
  for (const { labels, increase } of increases(previous, now, name, match)) {
    perSecond[categoryOf(labels, electionId)] += increase / seconds;
  }
  const totals = zeroes();
  for (const t of now.targets) {
    if (!t.up || t.service !== 'vote-api') continue;
    for (const { labels, value } of series(t.samples, name, match).values()) totals[categoryOf(labels, electionId)] += value;
  }
  for (const o of operationsOutcomes) perSecond[o] = round(perSecond[o]);

  const batches = {
    sum: increases(windowStart, now, 'vote_commit_batch_size_sum').reduce((a, s) => a + s.increase, 0),
    count: increases(windowStart, now, 'vote_commit_batch_size_count').reduce((a, s) => a + s.increase, 0),
  };
  const viewers = (transport: 'sse' | 'ws') =>
    electionId === null
      ? current(now, 'results', 'results_connections_open', { transport })
      : current(now, 'results', 'results_election_viewers', { transport, election: electionId });

  const snapshot: Snapshot = {
    electionId,
    at: new Date(now.at).toISOString(),
    intervalSeconds: round(seconds),
    ballotsPerSecond: perSecond.counted,
    requestsPerSecond: round(operationsOutcomes.reduce((a, o) => a + perSecond[o], 0)),
    outcomesPerSecond: perSecond,
    outcomeTotals: totals,
    latencyP99Seconds: p99(windowStart, now, 'http_request_duration_seconds', voteRoute),
    commitQueueDepth: current(now, 'vote-api', 'vote_commit_queue_depth'),
    commitBatchSize: batches.count > 0 ? round(batches.sum / batches.count, 1) : null,
    sseViewers: viewers('sse'),
    wsViewers: viewers('ws'),
    frameLagP99Seconds: p99(windowStart, now, 'results_commit_to_frame_seconds'),
    relayLagP99Seconds: p99(windowStart, now, 'relay_lag_seconds'),
    auditLagP99Seconds: p99(windowStart, now, 'audit_lag_seconds'),
    sources: now.targets.map((t) => ({ service: t.service, up: t.up })),
  };
  if (electionId === null) snapshot.elections = busiestElections(windowStart, now);
  return snapshot;
}

/** Elections with vote requests over the window, busiest first (at most 20). */
function busiestElections(before: Scrape, after: Scrape): NonNullable<Snapshot['elections']> {
  const seconds = Math.max(0.001, (after.at - before.at) / 1000);
  const byElection = new Map<string, { counted: number; requests: number }>();
  for (const { labels, increase } of increases(before, after, 'vote_election_ballots_total')) {
    if (!labels.election || increase === 0) continue;
    const entry = byElection.get(labels.election) ?? { counted: 0, requests: 0 };
    entry.requests += increase;
    if (labels.outcome === 'counted') entry.counted += increase;
    byElection.set(labels.election, entry);
  }
  return [...byElection]
    .sort((a, b) => b[1].requests - a[1].requests)
    .slice(0, 20)
    .map(([electionId, e]) => ({
      electionId,
      ballotsPerSecond: round(e.counted / seconds),
      requestsPerSecond: round(e.requests / seconds),
    }));
}
