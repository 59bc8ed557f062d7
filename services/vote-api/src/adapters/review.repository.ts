import { randomUUID } from 'node:crypto';
import type { Sql } from '@onevote/platform';
import {
  type ClusterKind,
  type ClusterMinuteRow,
  type ClusterRef,
  type ClusterRow,
  type ClusterThresholds,
  clustersOf,
} from '../domain/review.ts';

/** What the log calls a ballot: base64url (unpadded) SHA-256 of the receipt id's UTF-8 (API.md). */
const ballotHashSql = (column: string) =>
  `translate(rtrim(encode(sha256(convert_to(${column}::text, 'UTF8')), 'base64'), '='), '+/', '-_')`;

export type { ClusterMinute, ClusterRow } from '../domain/review.ts';

export interface ReviewedBallot {
  ballot: string;
  countedAt: string;
  subnet: string;
  keyHash: string;
  tokenAgeSeconds: number;
  risk: 'allow' | 'challenge';
  reasons: string[];
  voided: boolean;
  voidReason?: string;
  voidedAt?: string;
}

export interface VoidOutcome {
  /** Ballots this call voided (0 when all were voided before). */
  voided: number;
  alreadyVoided: number;
  voidId?: string;
}

/**
 * What a void names: a cluster (its ballots at the moment of the void), ballots by their hashes in
 * the log, or (across vote shard groups) the receipts already found on this group.
 */
export type VoidTarget =
  | { cluster: ClusterRef; clusterId: string }
  | { ballots: string[] }
  | { receipts: string[]; clusterId?: string };

/** Ballots of one cluster: `$2` kind, `$3` value, `$4` minute (bursts). */
const inCluster = `
  sg.election_id = $1 and (
    ($2 = 'subnet' and sg.subnet = $3) or
    ($2 = 'key' and sg.key_hash = $3) or
    ($2 = 'burst' and sg.subnet = $3 and sg.counted_at >= $4::timestamptz and sg.counted_at < $4::timestamptz + interval '1 minute'))`;

const clusterParams = (electionId: string, ref: ClusterRef) => [electionId, ref.kind, ref.value, ref.minute ?? null];

/**
 * Fraud review in vote-api's schema: reads the signals kept with each ballot (no voter id is read
 * or returned), and voids ballots (docs/fraud-review.md).
 */
export class ReviewRepository {
  constructor(private readonly sql: Sql) {}

  /** Every cluster of an election at or above its threshold, with ballots per minute. */
  async clusters(electionId: string, thresholds: ClusterThresholds): Promise<ClusterRow[]> {
    return clustersOf(await this.clusterRows(electionId, thresholds), thresholds);
  }

  /**
   * The rows behind `clusters`, one per cluster and minute: the clusters of this shard group at or
   * above `min`, and also those named in `also` whatever their size here. Across vote shard groups
   * (ShardedReview) a cluster's counts are the sums of every group's rows.
   */
  async clusterRows(
    electionId: string,
    min: ClusterThresholds,
    also: { subnets: string[]; keys: string[]; bursts: { subnet: string; minute: string }[] } = { subnets: [], keys: [], bursts: [] },
  ): Promise<ClusterMinuteRow[]> {
    const rows = (await this.sql.unsafe(
      `with s as (
         select sg.subnet, sg.key_hash, sg.risk, date_trunc('minute', sg.counted_at) as minute,
                v.receipt_id is not null as voided
           from votes.ballot_signals sg
           left join votes.voided_ballots v on v.election_id = sg.election_id and v.receipt_id = sg.receipt_id
          where sg.election_id = $1
       ),
       subnets as (select subnet from s group by subnet having count(*) >= $2 or subnet = any($5::text[])),
       keys as (select key_hash from s group by key_hash having count(*) >= $3 or key_hash = any($6::text[])),
       bursts as (
         select subnet, minute from s group by subnet, minute
         having count(*) >= $4 or (subnet, minute) in (select * from unnest($7::text[], $8::timestamptz[])))
       select 'subnet' as kind, s.subnet as value, null::timestamptz as burst, s.minute,
              count(*)::int as ballots, (count(*) filter (where voided))::int as voided,
              (count(*) filter (where risk <> 'allow'))::int as challenged
         from s join subnets using (subnet) group by s.subnet, s.minute
       union all
       select 'key', s.key_hash, null, s.minute, count(*)::int, (count(*) filter (where voided))::int,
              (count(*) filter (where risk <> 'allow'))::int
         from s join keys using (key_hash) group by s.key_hash, s.minute
       union all
       select 'burst', s.subnet, s.minute, s.minute, count(*)::int, (count(*) filter (where voided))::int,
              (count(*) filter (where risk <> 'allow'))::int
         from s join bursts using (subnet, minute) group by s.subnet, s.minute
       order by 1, 2, 4`,
      [
        electionId,
        min.subnetMin,
        min.keyMin,
        min.burstMin,
        also.subnets,
        also.keys,
        also.bursts.map((b) => b.subnet),
        also.bursts.map((b) => b.minute),
      ] as never[],
    )) as unknown as {
      kind: ClusterKind;
      value: string;
      burst: Date | null;
      minute: Date;
      ballots: number;
      voided: number;
      challenged: number;
    }[];
    return rows.map((row) => ({
      kind: row.kind,
      value: row.value,
      ...(row.burst ? { burst: row.burst.toISOString() } : {}),
      minute: row.minute.toISOString(),
      ballots: row.ballots,
      voided: row.voided,
      challenged: row.challenged,
    }));
  }

  /** How many ballots the cluster holds now (0 when it names none). */
  async clusterSize(electionId: string, ref: ClusterRef): Promise<number> {
    const [row] = (await this.sql.unsafe(
      `select count(*)::int as n from votes.ballot_signals sg where ${inCluster}`,
      clusterParams(electionId, ref) as never[],
    )) as unknown as { n: number }[];
    return row?.n ?? 0;
  }

  /** One page of a cluster's ballots, oldest first: each named by its hash in the log, never by voter. */
  async clusterBallots(
    electionId: string,
    ref: ClusterRef,
    page: { offset: number; limit: number },
  ): Promise<{ total: number; items: ReviewedBallot[] }> {
    const { total, items } = await this.clusterBallotsInOrder(electionId, ref, page);
    return { total, items: items.map(({ order: _order, ...item }) => item) };
  }

  /**
   * `clusterBallots` with each ballot's place in the order (`order`: the commit time to the
   * microsecond and the receipt id, as text that sorts the way PostgreSQL orders them), so pages of
   * several vote shard groups can be merged into one order.
   */
  async clusterBallotsInOrder(
    electionId: string,
    ref: ClusterRef,
    page: { offset: number; limit: number },
  ): Promise<{ total: number; items: (ReviewedBallot & { order: string })[] }> {
    const rows = (await this.sql.unsafe(
      `select ${ballotHashSql('sg.receipt_id')} as ballot, sg.counted_at, sg.subnet, sg.key_hash,
              sg.token_age_seconds, sg.risk, sg.reasons, v.reason as void_reason, v.voided_at,
              to_char(sg.counted_at at time zone 'UTC', 'YYYYMMDDHH24MISSUS') || ' ' || sg.receipt_id::text as sort_key,
              count(*) over () ::int as total
         from votes.ballot_signals sg
         left join votes.voided_ballots v on v.election_id = sg.election_id and v.receipt_id = sg.receipt_id
        where ${inCluster}
        order by sg.counted_at, sg.receipt_id
        offset $5 limit $6`,
      [...clusterParams(electionId, ref), page.offset, page.limit] as never[],
    )) as unknown as {
      ballot: string;
      counted_at: Date;
      subnet: string;
      key_hash: string;
      token_age_seconds: number;
      risk: 'allow' | 'challenge';
      reasons: string;
      void_reason: string | null;
      voided_at: Date | null;
      sort_key: string;
      total: number;
    }[];
    const total = rows[0]?.total ?? (page.offset > 0 ? await this.clusterSize(electionId, ref) : 0);
    return {
      total,
      items: rows.map((r) => ({
        order: r.sort_key,
        ballot: r.ballot,
        countedAt: r.counted_at.toISOString(),
        subnet: r.subnet,
        keyHash: r.key_hash,
        tokenAgeSeconds: r.token_age_seconds,
        risk: r.risk,
        reasons: r.reasons ? r.reasons.split(',') : [],
        voided: r.voided_at !== null,
        ...(r.voided_at ? { voidReason: r.void_reason ?? '', voidedAt: r.voided_at.toISOString() } : {}),
      })),
    };
  }

  /** The ballots of the election on this shard group among `hashes` (their hashes in the log): receipt and hash. */
  async ballotsByHash(electionId: string, hashes: string[]): Promise<{ receipt: string; ballot: string }[]> {
    // A scan of the election's ballots (receipt ids are not indexed; voids are rare).
    const rows = (await this.sql.unsafe(
      `select b.receipt_id::text as receipt, ${ballotHashSql('b.receipt_id')} as ballot
         from votes.ballots b
        where b.election_id = $1 and ${ballotHashSql('b.receipt_id')} = any($2::text[])`,
      [electionId, hashes] as never[],
    )) as unknown as { receipt: string; ballot: string }[];
    return rows;
  }

  /** Ballots voided in the election so far. */
  async voidedCount(electionId: string): Promise<number> {
    const [row] = await this.sql<{ n: number }[]>`
      select count(*)::int as n from votes.voided_ballots where election_id = ${electionId}`;
    return row?.n ?? 0;
  }

  /**
   * Voids ballots in one transaction: marks them (a ballot already voided is left as it was), drops
   * the tallies by exactly the ballots this call marked (I3), and records who did it, so the relay
   * carries a `void` per ballot to the audit log and ballot copies the action into the history.
   * `target` names the ballots by cluster or by their hashes in the log; `unknown` lists hashes that
   * name no ballot of the election (then nothing is changed).
   */
  async void(
    electionId: string,
    target: VoidTarget,
    by: { actor: string; reason: string },
    voidId: string = randomUUID(),
  ): Promise<VoidOutcome | { unknown: string[] }> {
    return this.sql.begin(async (tx) => {
      let receipts: string[];
      if ('receipts' in target) {
        // Already found on this shard group (ShardedReview.void), sorted so locks come in one order.
        receipts = [...target.receipts].sort();
      } else if ('cluster' in target) {
        const rows = (await tx.unsafe(
          `select sg.receipt_id::text from votes.ballot_signals sg where ${inCluster} order by sg.receipt_id`,
          clusterParams(electionId, target.cluster) as never[],
        )) as unknown as { receipt_id: string }[];
        receipts = rows.map((r) => r.receipt_id);
      } else {
        // By hash: a scan of the election's ballots (receipt ids are not indexed; voids are rare).
        const rows = (await tx.unsafe(
          `select b.receipt_id::text, ${ballotHashSql('b.receipt_id')} as ballot
             from votes.ballots b
            where b.election_id = $1 and ${ballotHashSql('b.receipt_id')} = any($2::text[])
            order by b.receipt_id`,
          [electionId, target.ballots] as never[],
        )) as unknown as { receipt_id: string; ballot: string }[];
        const found = new Set(rows.map((r) => r.ballot));
        const unknown = target.ballots.filter((b) => !found.has(b));
        if (unknown.length > 0) return { unknown };
        receipts = rows.map((r) => r.receipt_id);
      }
      if (receipts.length === 0) return { voided: 0, alreadyVoided: 0 };
      const [action] = (await tx.unsafe(
        `insert into votes.void_actions (id, election_id, actor, reason, cluster_id, ballots)
         values ($1, $2, $3, $4, $5, $6) returning seq`,
        [voidId, electionId, by.actor, by.reason, 'clusterId' in target ? (target.clusterId ?? null) : null, receipts.length],
      )) as unknown as { seq: string }[];
      // I3: the tally deltas come from `marked`, the rows this statement inserted. Slot 0 may go
      // below zero; tallies are read as sums over slots.
      const [result] = (await tx.unsafe(
        `with marked as (
           insert into votes.voided_ballots (election_id, receipt_id, void_seq, reason)
           select $1, r, $3, $4 from unnest($2::uuid[]) as r order by r
           on conflict do nothing
           returning receipt_id
         ),
         cancelled as (
           select b.selections from votes.ballots b
            where b.election_id = $1 and b.receipt_id in (select receipt_id from marked)
         ),
         deltas as (
           select (s->>'questionId')::uuid as question_id, o::uuid as option_id, count(*) as n
             from cancelled c
            cross join lateral jsonb_array_elements(c.selections) s
            cross join lateral jsonb_array_elements_text(s->'optionIds') o
            group by 1, 2
         ),
         tallied as (
           insert into votes.tallies as t (election_id, question_id, option_id, slot, votes)
           select $1, question_id, option_id, 0, -n from deltas order by question_id, option_id
           on conflict (election_id, question_id, option_id, slot) do update set votes = t.votes + excluded.votes
         ),
         totalled as (
           insert into votes.ballot_totals as b (election_id, slot, ballots, voided)
           select $1, 0, -count(*), count(*) from marked having count(*) > 0
           on conflict (election_id, slot) do update
             set ballots = b.ballots + excluded.ballots, voided = b.voided + excluded.voided
         )
         select count(*)::int as n from marked`,
        [electionId, receipts, action!.seq, by.reason] as never[],
      )) as unknown as { n: number }[];
      const voided = result!.n;
      // Voiding again changes nothing: no action without a voided ballot.
      if (voided === 0) await tx.unsafe('delete from votes.void_actions where id = $1', [voidId]);
      else if (voided !== receipts.length) {
        await tx.unsafe('update votes.void_actions set ballots = $2 where id = $1', [voidId, voided]);
      }
      return { voided, alreadyVoided: receipts.length - voided, ...(voided > 0 ? { voidId } : {}) };
    }) as Promise<VoidOutcome | { unknown: string[] }>;
  }
}
