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
