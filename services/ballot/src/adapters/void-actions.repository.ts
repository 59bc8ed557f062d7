import type { Sql } from '@onevote/platform';

export interface VoidAction {
  seq: number;
  id: string;
  electionId: string;
  actor: string;
  reason: string;
  clusterId: string | null;
  ballots: number;
  at: Date;
}

/**
 * Void actions of fraud review, read from vote-api's `votes.void_actions` through the column grant
 * vote-api's migration gives this service's role (who voided how many ballots, and why; never a
 * voter), and copied into `ballot.history`. One per vote shard group: a void across groups is an
 * action on each group that voided, numbered by that group (its entries carry `shard` when it is
 * not group 0).
 */
export class VoidActionsRepository {
  /** `sql`: ballot's own database (the history); `votes`: the group's (default the same); `shard`: its number. */
  constructor(
    private readonly sql: Sql,
    private readonly votes: Sql = sql,
    readonly shard = 0,
  ) {}

  /**
   * Actions not yet in the history. Sequence numbers are taken before commit, so a slow void can
   * commit after a later one: the look-back re-reads the last `lookBack` actions, and the unique
   * index on the history keeps each one once.
   */
  async pending(limit = 100, lookBack = 100): Promise<VoidAction[]> {
    const [last] = await this.sql<{ seq: string }[]>`
      select coalesce(max((changes->>'voidSeq')::bigint), 0)::text as seq from ballot.history
       where action = 'void' and coalesce((changes->>'shard')::int, 0) = ${this.shard}`;
    const rows = await this.votes<
      { seq: string; id: string; election_id: string; actor: string; reason: string; cluster_id: string | null; ballots: number; at: Date }[]
    >`
      select seq::text, id::text, election_id::text, actor, reason, cluster_id, ballots, at
        from votes.void_actions where seq > ${Number(last!.seq) - lookBack} order by seq limit ${limit + lookBack}`;
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      electionId: r.election_id,
      actor: r.actor,
      reason: r.reason,
      clusterId: r.cluster_id,
      ballots: r.ballots,
      at: r.at,
    }));
  }

  /** Writes the history entries; one already there (another replica, a re-read) is left alone. */
  async record(actions: readonly VoidAction[]): Promise<number> {
    let added = 0;
    for (const a of actions) {
      const changes = {
        voidSeq: a.seq,
        voidId: a.id,
        ballots: a.ballots,
        reason: a.reason,
        ...(a.clusterId ? { clusterId: a.clusterId } : {}),
        ...(this.shard > 0 ? { shard: this.shard } : {}),
      };
      const result = await this.sql`
        insert into ballot.history (election_id, at, actor, action, changes)
        values (${a.electionId}, ${a.at}, ${a.actor}, 'void', ${this.sql.json(changes)})
        on conflict do nothing`;
      added += result.count;
    }
    return added;
  }
}
