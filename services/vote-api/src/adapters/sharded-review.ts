import { randomUUID } from 'node:crypto';
import { candidateThresholds, type ClusterRef, type ClusterRow, type ClusterThresholds, clustersOf } from '../domain/review.ts';
import type { ReviewedBallot, ReviewRepository, VoidOutcome, VoidTarget } from './review.repository.ts';

/** The review repository of each vote shard group the election's ballots are on, in group order. */
export type ShardsOfElection = (electionId: string) => ReviewRepository[];

/**
 * Fraud review over every vote shard group of an election (docs/fraud-review.md, "Across shard
 * groups"). Reads ask every group at once and merge: a cluster's ballots are wherever their voters
 * hash to. A void is applied on the group that holds each ballot, in one transaction per group.
 * An election on one group is served by that group's repository as it always was.
 */
export class ShardedReview {
  constructor(private readonly shardsOf: ShardsOfElection) {}

  async clusters(electionId: string, thresholds: ClusterThresholds): Promise<ClusterRow[]> {
    const shards = this.shardsOf(electionId);
    if (shards.length === 1) return shards[0]!.clusters(electionId, thresholds);
    // 1. Candidates: whatever reaches its share of the threshold on some group.
    const first = await Promise.all(shards.map((s) => s.clusterRows(electionId, candidateThresholds(thresholds, shards.length))));
    const candidates = { subnet: new Set<string>(), key: new Set<string>(), burst: new Map<string, { subnet: string; minute: string }>() };
    const seen = first.map(() => ({ subnet: new Set<string>(), key: new Set<string>(), burst: new Set<string>() }));
    first.forEach((rows, i) => {
      for (const row of rows) {
        if (row.kind === 'burst') {
          const key = `${row.value}\n${row.burst}`;
          candidates.burst.set(key, { subnet: row.value, minute: row.burst! });
          seen[i]!.burst.add(key);
        } else {
          candidates[row.kind].add(row.value);
          seen[i]![row.kind].add(row.value);
        }
      }
    });
    // 2. Every candidate's rows from the groups that did not report it, so its sums are complete.
    const never = { subnetMin: 2 ** 31 - 1, keyMin: 2 ** 31 - 1, burstMin: 2 ** 31 - 1 };
    const second = await Promise.all(
      shards.map((s, i) => {
        const also = {
          subnets: [...candidates.subnet].filter((v) => !seen[i]!.subnet.has(v)),
          keys: [...candidates.key].filter((v) => !seen[i]!.key.has(v)),
          bursts: [...candidates.burst].filter(([key]) => !seen[i]!.burst.has(key)).map(([, b]) => b),
        };
        if (also.subnets.length + also.keys.length + also.bursts.length === 0) return [];
        return s.clusterRows(electionId, never, also);
      }),
    );
    return clustersOf([...first.flat(), ...second.flat()], thresholds);
  }

  async clusterSize(electionId: string, ref: ClusterRef): Promise<number> {
    const sizes = await Promise.all(this.shardsOf(electionId).map((s) => s.clusterSize(electionId, ref)));
    return sizes.reduce((a, b) => a + b, 0);
  }

  /** A page in one order over every group: each group's first `offset + limit`, merged. */
  async clusterBallots(
    electionId: string,
    ref: ClusterRef,
    page: { offset: number; limit: number },
  ): Promise<{ total: number; items: ReviewedBallot[] }> {
    const shards = this.shardsOf(electionId);
    if (shards.length === 1) return shards[0]!.clusterBallots(electionId, ref, page);
    const pages = await Promise.all(
      shards.map((s) => s.clusterBallotsInOrder(electionId, ref, { offset: 0, limit: page.offset + page.limit })),
    );
    // A group's `total` is its count whatever the page; a group with no ballot on the page says 0.
    const totals = await Promise.all(
      pages.map((p, i) => (p.items.length > 0 ? p.total : shards[i]!.clusterSize(electionId, ref))),
    );
    const items = pages
      .flatMap((p) => p.items)
      .sort((a, b) => (a.order < b.order ? -1 : a.order > b.order ? 1 : 0))
      .slice(page.offset, page.offset + page.limit)
      .map(({ order: _order, ...item }) => item);
    return { total: totals.reduce((a, b) => a + b, 0), items };
  }

  async voidedCount(electionId: string): Promise<number> {
    const counts = await Promise.all(this.shardsOf(electionId).map((s) => s.voidedCount(electionId)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /**
   * Voids on every group that holds some of the ballots, each in its own transaction (all or
   * nothing per group, idempotent), under one void id. Ballots named by hash are first looked up on
   * every group: one that names no ballot of the election changes nothing anywhere. A group that
   * fails makes the call fail (503) after the others committed; the same void again completes it
   * (the committed part is `alreadyVoided` then).
   */
  async void(
    electionId: string,
    target: Exclude<VoidTarget, { receipts: string[] }>,
    by: { actor: string; reason: string },
  ): Promise<VoidOutcome | { unknown: string[] }> {
    const shards = this.shardsOf(electionId);
    if (shards.length === 1) return shards[0]!.void(electionId, target, by);
    const voidId = randomUUID();
    let outcomes: (VoidOutcome | { unknown: string[] })[];
    if ('cluster' in target) {
      outcomes = await Promise.all(shards.map((s) => s.void(electionId, target, by, voidId)));
    } else {
      const found = await Promise.all(shards.map((s) => s.ballotsByHash(electionId, target.ballots)));
      const known = new Set(found.flat().map((b) => b.ballot));
      const unknown = target.ballots.filter((b) => !known.has(b));
      if (unknown.length > 0) return { unknown };
      outcomes = await Promise.all(
        shards.map((s, i) =>
          found[i]!.length > 0 ? s.void(electionId, { receipts: found[i]!.map((b) => b.receipt) }, by, voidId) : { voided: 0, alreadyVoided: 0 },
        ),
      );
    }
    let voided = 0;
    let alreadyVoided = 0;
    for (const outcome of outcomes) {
      if ('unknown' in outcome) return outcome;
      voided += outcome.voided;
      alreadyVoided += outcome.alreadyVoided;
    }
    return { voided, alreadyVoided, ...(voided > 0 ? { voidId } : {}) };
  }
}
