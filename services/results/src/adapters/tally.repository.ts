import type { Sql } from '@onevote/platform';
import { emptySums, optionKey, type TallySums } from '../domain/results.ts';

/** Reads current tallies (sums over slots) from the `votes` schema that vote-api writes. */
export interface TallyRepository {
  /** The sums of each election asked for; one statement, so one consistent snapshot. */
  read(electionIds: string[]): Promise<Map<string, TallySums>>;
}

export class PostgresTallyRepository implements TallyRepository {
  constructor(private readonly sql: Sql) {}

  async read(electionIds: string[]): Promise<Map<string, TallySums>> {
    const out = new Map<string, TallySums>();
    if (electionIds.length === 0) return out;
    for (const id of electionIds) out.set(id, emptySums());
    // One statement reads both tables in the same snapshot: the ballot count and the votes always
    // belong to the same set of commits (the ballot count is the version; domain/results.ts).
    const rows = await this.sql<
      { election_id: string; question_id: string | null; option_id: string | null; n: string; changes: string | null }[]
    >`
      select election_id, null::uuid as question_id, null::uuid as option_id, sum(ballots)::text as n,
             sum(ballots + 2 * voided)::text as changes
        from votes.ballot_totals where election_id = any(${electionIds}::uuid[])
       group by election_id
      union all
      select election_id, question_id, option_id, sum(votes)::text as n, null as changes
        from votes.tallies where election_id = any(${electionIds}::uuid[])
       group by election_id, question_id, option_id`;
    for (const row of rows) {
      const sums = out.get(row.election_id);
      if (!sums) continue;
      if (row.question_id === null || row.option_id === null) {
        sums.ballots = Number(row.n);
        sums.changes = Number(row.changes);
      }
      else sums.votes.set(optionKey(row.question_id, row.option_id), Number(row.n));
    }
    return out;
  }
}

/** Elections whose last good read per vote shard group is kept (the most recently read). */
const rememberedElections = 10_000;

/**
 * Tallies over every vote shard group an election's ballots are on (its shard map version; groups
 * 0 .. n-1), read at once and summed. `changes`, the version, is the sum of the groups' own: each
 * only grows, so the sum does too.
 *
 * A group that does not answer stands in with its last good read of the election: a group that is
 * down commits nothing, so what was read of it is still its whole tally, and the other groups'
 * voters keep seeing their ballots counted (I4) while it is away. Without such a read (this
 * process never read the election from that group) the read fails, as with one group: a sum
 * without a group's ballots would show a tally going down.
 */
export class ShardedTallyRepository implements TallyRepository {
  private readonly last = new Map<string, (TallySums | undefined)[]>();
  private failing = '';

  constructor(
    private readonly shards: TallyRepository[],
    private readonly shardCount: (electionId: string) => number,
    private readonly onShardFailure: (shard: number, err: unknown) => void = () => {},
  ) {}

  async read(electionIds: string[]): Promise<Map<string, TallySums>> {
    const counts = new Map(electionIds.map((id) => [id, this.shardCount(id)]));
    for (const [id, n] of counts) {
      if (n > this.shards.length) throw new Error(`election ${id} is on ${n} vote shard groups; VOTE_SHARD_URLS names ${this.shards.length}`);
    }
    if (this.shards.length === 1) return this.shards[0]!.read(electionIds);
    const reads = await Promise.allSettled(
      this.shards.map((shard, k) => {
        const ids = electionIds.filter((id) => counts.get(id)! > k);
        return ids.length > 0 ? shard.read(ids) : Promise.resolve(new Map<string, TallySums>());
      }),
    );
    const failed = reads.flatMap((r, k) => (r.status === 'rejected' ? [k] : []));
    const failing = failed.join(',');
    if (failing !== this.failing) for (const k of failed) this.onShardFailure(k, (reads[k] as PromiseRejectedResult).reason);
    this.failing = failing;

    const out = new Map<string, TallySums>();
    for (const id of electionIds) {
      const n = counts.get(id)!;
      const remembered = this.last.get(id) ?? [];
      const parts: TallySums[] = [];
      for (let k = 0; k < n; k++) {
        const read = reads[k]!;
        const sums = read.status === 'fulfilled' ? (read.value.get(id) ?? emptySums()) : remembered[k];
        if (!sums) throw (read as PromiseRejectedResult).reason;
        parts.push(sums);
      }
      this.remember(id, parts);
      out.set(id, sumOf(parts));
    }
    return out;
  }

  private remember(id: string, parts: TallySums[]) {
    this.last.delete(id);
    this.last.set(id, parts);
    if (this.last.size > rememberedElections) this.last.delete(this.last.keys().next().value!);
  }
}

function sumOf(parts: TallySums[]): TallySums {
  const total = emptySums();
  for (const part of parts) {
    total.ballots += part.ballots;
    total.changes += part.changes;
    for (const [option, n] of part.votes) total.votes.set(option, (total.votes.get(option) ?? 0) + n);
  }
  return total;
}
