/**
 * Fraud review: what is kept of each counted ballot, and how suspicious ballots are grouped into
 * clusters an admin can look at and void (docs/fraud-review.md). Pure: no I/O.
 */
import type { RiskReason } from './risk.ts';

/** The risk signals kept with a counted ballot. None of them names the voter. */
export interface BallotSignals {
  /** The client's /24 (IPv4) or /64 (IPv6), as `subnetOf` gives it. */
  subnet: string;
  /** The DPoP key thumbprint; only a per-election salted hash of it is stored. */
  jkt: string;
  tokenAgeSeconds: number;
  /** The decision the ballot passed: `challenge` means a challenge was asked for and solved. */
  risk: 'allow' | 'challenge';
  reasons: RiskReason[];
}

/**
 * - `subnet`: at least `subnetMin` ballots from one /24 or /64;
 * - `key`: at least `keyMin` ballots (of distinct voters: one ballot per voter) with one DPoP key;
 * - `burst`: at least `burstMin` ballots from one network within one minute.
 */
export type ClusterKind = 'subnet' | 'key' | 'burst';

export interface ClusterThresholds {
  subnetMin: number;
  keyMin: number;
  burstMin: number;
}

export interface ClusterRef {
  kind: ClusterKind;
  /** The network, or the key hash. */
  value: string;
  /** For a burst: the minute (RFC 3339, seconds zero). */
  minute?: string;
}

const kinds: readonly string[] = ['subnet', 'key', 'burst'] satisfies ClusterKind[];
const minutePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/;

/** A cluster's id: opaque to clients, stable while its defining signal is the same. */
export function clusterId(ref: ClusterRef): string {
  const parts = [ref.kind, ref.value, ...(ref.minute ? [ref.minute] : [])];
  return Buffer.from(parts.join('\n'), 'utf8').toString('base64url');
}

/** The cluster an id names, or undefined when the id is not one this service made. */
export function parseClusterId(id: string): ClusterRef | undefined {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(id)) return undefined;
  const parts = Buffer.from(id, 'base64url').toString('utf8').split('\n');
  const [kind, value, minute] = parts;
  if (!kind || !kinds.includes(kind) || !value || value.length > 100) return undefined;
  if (kind === 'burst') {
    if (parts.length !== 3 || !minute || !minutePattern.test(minute)) return undefined;
    return { kind, value, minute };
  }
  if (parts.length !== 2) return undefined;
  return { kind: kind as ClusterKind, value };
}

/** How many ballots make a cluster of this kind. */
export function minimumSize(kind: ClusterKind, thresholds: ClusterThresholds): number {
  return kind === 'subnet' ? thresholds.subnetMin : kind === 'key' ? thresholds.keyMin : thresholds.burstMin;
}

export interface ClusterMinute {
  minute: string;
  ballots: number;
  voided: number;
}

export interface ClusterRow {
  ref: ClusterRef;
  ballots: number;
  voided: number;
  /** Ballots that passed a challenge (the risk rules asked for one and it was solved). */
  challenged: number;
  perMinute: ClusterMinute[];
}

/** One cluster's ballots in one minute, as one vote shard group counts them. */
export interface ClusterMinuteRow {
  kind: ClusterKind;
  value: string;
  /** For a burst: its minute. */
  burst?: string;
  minute: string;
  ballots: number;
  voided: number;
  challenged: number;
}

/**
 * Clusters from per-minute rows, summed over vote shard groups (the same cluster and minute may
 * come from several), keeping those at or above their kind's threshold; minutes in order.
 */
export function clustersOf(rows: readonly ClusterMinuteRow[], thresholds: ClusterThresholds): ClusterRow[] {
  const clusters = new Map<string, ClusterRow & { minutes: Map<string, ClusterMinute> }>();
  for (const row of rows) {
    const key = `${row.kind}\n${row.value}\n${row.burst ?? ''}`;
    let cluster = clusters.get(key);
    if (!cluster) {
      const ref: ClusterRef = { kind: row.kind, value: row.value, ...(row.burst ? { minute: row.burst } : {}) };
      clusters.set(key, (cluster = { ref, ballots: 0, voided: 0, challenged: 0, perMinute: [], minutes: new Map() }));
    }
    cluster.ballots += row.ballots;
    cluster.voided += row.voided;
    cluster.challenged += row.challenged;
    const minute = cluster.minutes.get(row.minute);
    if (minute) {
      minute.ballots += row.ballots;
      minute.voided += row.voided;
    } else cluster.minutes.set(row.minute, { minute: row.minute, ballots: row.ballots, voided: row.voided });
  }
  return [...clusters.values()]
    .filter((c) => c.ballots >= minimumSize(c.ref.kind, thresholds))
    .map(({ minutes, ...c }) => ({ ...c, perMinute: [...minutes.values()].sort((a, b) => a.minute.localeCompare(b.minute)) }));
}

/**
 * What each of `groups` vote shard groups must report so that no cluster is missed: a cluster of
 * `min` ballots in all has at least `ceil(min / groups)` on some group. Those candidates are then
 * counted on every group (ShardedReview.clusters).
 */
export function candidateThresholds(thresholds: ClusterThresholds, groups: number): ClusterThresholds {
  const part = (n: number) => Math.max(1, Math.ceil(n / groups));
  return { subnetMin: part(thresholds.subnetMin), keyMin: part(thresholds.keyMin), burstMin: part(thresholds.burstMin) };
}
