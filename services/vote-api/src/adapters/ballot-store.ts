import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '@onevote/platform';
import type { Selection } from '../domain/ballot.ts';
import type { BallotSignals } from '../domain/review.ts';

export interface BallotToCommit {
  electionId: string;
  voterId: string;
  receiptId: string;
  idempotencyKey: string;
  selections: Selection[];
  /** Kept with the ballot for fraud review (votes.ballot_signals); never the voter's identity. */
  signals?: BallotSignals;
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
  select * from unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[],
                       $7::text[], $8::text[], $9::int[], $10::text[], $11::text[])
    as t(election_id, voter_id, receipt_id, idempotency_key, selections,
         subnet, key_hash, token_age_seconds, risk, reasons)
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
),
-- Fraud review: the signals of exactly the inserted ballots, in the same transaction.
signals as (
  insert into votes.ballot_signals
    (election_id, receipt_id, subnet, key_hash, token_age_seconds, risk, reasons, counted_at)
  select i.election_id, i.receipt_id, t.subnet, t.key_hash, t.token_age_seconds, t.risk, t.reasons, i.counted_at
  from ins i join input t on t.receipt_id = i.receipt_id
  where t.subnet is not null
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
  /** Each election's review salt (votes.review_salts), read or made once per process. */
  private readonly salts = new Map<string, Promise<Buffer>>();

  /**
   * `canonicalSalts`: on a vote shard group other than 0, shard group 0's store. An election has one
   * review salt for all its ballots, whatever group they are on (otherwise one DPoP key would hash
   * differently per group and fraud review could not group its ballots): it is made on group 0 and
   * copied to each other group the first time a ballot of the election is committed there.
   */
  constructor(
    private readonly sql: Sql,
    private readonly options: { slots: number; canonicalSalts?: BallotStore },
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
    const keyHashes = await this.keyHashes(ballots);
    const rows = (await this.sql.unsafe(
      commitStatement,
      [
        ballots.map((b) => b.electionId),
        ballots.map((b) => b.voterId),
        ballots.map((b) => b.receiptId),
        ballots.map((b) => b.idempotencyKey),
        ballots.map((b) => JSON.stringify(b.selections)),
        this.slot,
        ballots.map((b) => b.signals?.subnet ?? null),
        keyHashes,
        ballots.map((b) => (b.signals ? Math.max(0, Math.round(b.signals.tokenAgeSeconds)) : null)),
        ballots.map((b) => b.signals?.risk ?? null),
        ballots.map((b) => b.signals?.reasons.join(',') ?? null),
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

  /**
   * SHA-256 of the election's salt and the DPoP key thumbprint: the same key gives the same hash
   * within one election (so review can group by it) and an unrelated one in any other election.
   */
  private async keyHashes(ballots: readonly BallotToCommit[]): Promise<(string | null)[]> {
    // A batch is nearly always of one election: one await per election, not per ballot.
    const salts = new Map<string, Buffer>();
    for (const b of ballots) {
      if (b.signals && !salts.has(b.electionId)) salts.set(b.electionId, await this.salt(b.electionId));
    }
    return ballots.map((b) =>
      b.signals
        ? createHash('sha256').update(salts.get(b.electionId)!).update(b.signals.jkt, 'utf8').digest('base64url')
        : null,
    );
  }

  /** The election's review salt (read or made once per process). */
  salt(electionId: string): Promise<Buffer> {
    let salt = this.salts.get(electionId);
    if (!salt) {
      salt = this.readSalt(electionId);
      this.salts.set(electionId, salt);
      // A failed read is asked again by the next batch, not cached.
      salt.catch(() => this.salts.delete(electionId));
    }
    return salt;
  }

  private async readSalt(electionId: string): Promise<Buffer> {
    const canonical = this.options.canonicalSalts;
    if (canonical) {
      // This group's copy, once made, serves without group 0 (which may be down meanwhile).
      const [copy] = await this.sql<{ salt: Buffer }[]>`select salt from votes.review_salts where election_id = ${electionId}`;
      if (copy) return copy.salt;
    }
    // Replicas race to make it; the first insert wins and every replica reads that one. A copy is
    // only ever group 0's salt, so copies racing insert the same bytes.
    const made = canonical ? await canonical.salt(electionId) : randomBytes(32);
    await this.sql`
      insert into votes.review_salts (election_id, salt) values (${electionId}, ${made})
      on conflict (election_id) do nothing`;
    const [row] = await this.sql<{ salt: Buffer }[]>`select salt from votes.review_salts where election_id = ${electionId}`;
    return row!.salt;
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
  ): Promise<
    | { receiptId: string; selections: Selection[]; countedAt: Date; voided?: { reason: string; at: Date } }
    | undefined
  > {
    const [row] = await this.sql<
      { receipt_id: string; selections: Selection[]; counted_at: Date; void_reason: string | null; voided_at: Date | null }[]
    >`
      select b.receipt_id, b.selections, b.counted_at, v.reason as void_reason, v.voided_at
      from votes.ballots b
      left join votes.voided_ballots v on v.election_id = b.election_id and v.receipt_id = b.receipt_id
      where b.election_id = ${electionId} and b.voter_id = ${voterId}`;
    if (!row) return undefined;
    return {
      receiptId: row.receipt_id,
      selections: row.selections,
      countedAt: row.counted_at,
      ...(row.voided_at ? { voided: { reason: row.void_reason ?? '', at: row.voided_at } } : {}),
    };
  }
}

export { seat };
