import type { Sql } from '@onevote/platform';
import type { Selection } from '../domain/ballot.ts';

export interface BallotToCommit {
  electionId: string;
  voterId: string;
  receiptId: string;
  idempotencyKey: string;
  selections: Selection[];
}

/** The counted ballot that holds a voter's one seat in an election. */
export interface StoredBallot {
  electionId: string;
  voterId: string;
  receiptId: string;
  idempotencyKey: string;
  countedAt: Date;
}

export interface CommitResult {
  /** Rows this transaction inserted (and counted). */
  inserted: StoredBallot[];
  /** Rows that were already there for the other voters of the batch. */
  existing: StoredBallot[];
}

interface Row {
  election_id: string;
  voter_id: string;
  receipt_id: string;
  idempotency_key: string;
  counted_at: Date;
}

// One statement, so one implicit transaction and one round trip: insert the ballots, count exactly
// the inserted rows into one tally slot, and return the inserted rows.
// I2: `on conflict do nothing` on the primary key (election_id, voter_id) is the one-vote rule.
// I3: tally deltas come from `ins`, the rows actually inserted, in the same transaction.
// Inputs are sorted by (election, voter) and upserts by key so concurrent batches lock in one order.
// It used to return the batch's already-stored rows too, joining `votes.ballots` to the input; as a
// prepared statement that join kept a plan made when the table was small and scanned it whole,
// which was most of PostgreSQL's CPU per ballot (docs/benchmarks.md). Conflicts are rare (the Redis
// hint answers most repeats), so they are read afterwards by primary key (`findStatement`).
export const commitStatement = `
with input as (
  select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[])
    as t(election_id, voter_id, receipt_id, idempotency_key, selections)
),
ins as (
  insert into votes.ballots (election_id, voter_id, receipt_id, idempotency_key, selections)
  select election_id, voter_id, receipt_id, idempotency_key, selections::jsonb from input
  order by election_id, voter_id
  on conflict do nothing
  returning election_id, voter_id, receipt_id, idempotency_key, counted_at, selections
),
deltas as (
  select i.election_id, (s->>'questionId')::uuid as question_id, o::uuid as option_id, count(*) as n
  from ins i
  cross join lateral jsonb_array_elements(i.selections) s
  cross join lateral jsonb_array_elements_text(s->'optionIds') o
  group by 1, 2, 3
),
tallied as (
  insert into votes.tallies as t (election_id, question_id, option_id, slot, votes)
  select election_id, question_id, option_id, $6::smallint, n from deltas
  order by election_id, question_id, option_id
  on conflict (election_id, question_id, option_id, slot) do update set votes = t.votes + excluded.votes
),
totalled as (
  insert into votes.ballot_totals as b (election_id, slot, ballots)
  select election_id, $6::smallint, count(*) from ins group by election_id
  order by election_id
  on conflict (election_id, slot) do update set ballots = b.ballots + excluded.ballots
)
select election_id, voter_id, receipt_id, idempotency_key, counted_at from ins`;

// One primary-key lookup per seat (a lateral subquery), whatever plan the prepared statement keeps.
const findStatement = `
select b.election_id, b.voter_id, b.receipt_id, b.idempotency_key, b.counted_at
from unnest($1::uuid[], $2::text[]) as i(election_id, voter_id)
cross join lateral (
  select * from votes.ballots b where b.election_id = i.election_id and b.voter_id = i.voter_id
) b`;

const seat = (electionId: string, voterId: string) => `${electionId}\u0000${voterId}`;

function toStored(row: Row): StoredBallot {
  return {
    electionId: row.election_id,
    voterId: row.voter_id,
    receiptId: row.receipt_id,
    idempotencyKey: row.idempotency_key,
    countedAt: row.counted_at,
  };
}

export class BallotStore {
  private slot: number;

  constructor(
    private readonly sql: Sql,
    private readonly options: { slots: number },
  ) {
    this.slot = Math.floor(Math.random() * options.slots);
  }

  /**
   * Commits a batch of ballots, at most one per (election, voter), in one transaction; resolves only
   * after the commit is durable.
   */
  async commit(ballots: readonly BallotToCommit[]): Promise<CommitResult> {
    // Successive batches take successive slots, so this replica's concurrent commits never queue
    // on the same tally row; other replicas start from a random slot.
    this.slot = (this.slot + 1) % this.options.slots;
    const rows = (await this.sql.unsafe(
      commitStatement,
      [
        ballots.map((b) => b.electionId),
        ballots.map((b) => b.voterId),
        ballots.map((b) => b.receiptId),
        ballots.map((b) => b.idempotencyKey),
        ballots.map((b) => JSON.stringify(b.selections)),
        this.slot,
      ] as never[],
      { prepare: true },
    )) as unknown as Row[];
    const inserted = rows.map(toStored);
    const seats = new Set(rows.map((row) => seat(row.election_id, row.voter_id)));
    // Seats already taken: by an earlier commit, or by a concurrent one that `on conflict` waited
    // for. Either way the row is committed now, so a fresh statement sees it.
    const taken = ballots.filter((b) => !seats.has(seat(b.electionId, b.voterId)));
    const existing = taken.length > 0 ? await this.find(taken) : [];
    return { inserted, existing };
  }

  async find(seats: readonly { electionId: string; voterId: string }[]): Promise<StoredBallot[]> {
    const rows = (await this.sql.unsafe(
      findStatement,
      [seats.map((s) => s.electionId), seats.map((s) => s.voterId)] as never[],
      { prepare: true },
    )) as unknown as Row[];
    return rows.map(toStored);
  }

  /** The caller's own ballot, with its selections. */
  async mine(
    electionId: string,
    voterId: string,
  ): Promise<{ receiptId: string; selections: Selection[]; countedAt: Date } | undefined> {
    const [row] = await this.sql<{ receipt_id: string; selections: Selection[]; counted_at: Date }[]>`
      select receipt_id, selections, counted_at from votes.ballots
      where election_id = ${electionId} and voter_id = ${voterId}`;
    return row
      ? { receiptId: row.receipt_id, selections: row.selections, countedAt: row.counted_at }
      : undefined;
  }
}

export { seat };
