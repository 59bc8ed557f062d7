import type { Sql } from '@onevote/platform';
import type { CountedBallot, VoidedBallot } from '../domain/transactions.ts';

/**
 * Every counted ballot in `votes.ballots` (the columns a leaf needs; the relay's role can read no
 * other), or those counted since a time, for refilling a BALLOTS stream that was lost or
 * republishing what a lost replication slot had not delivered. A server-side cursor keeps memory
 * to one batch whatever the number of ballots.
 */
export class CountedBallots {
  constructor(
    private readonly sql: Sql,
    private readonly batchSize = 1000,
  ) {}

  async *all(since = '-infinity'): AsyncGenerator<CountedBallot[]> {
    // No index on counted_at (it would cost every commit): a republish scans the table, once per
    // failover. Text, then cast: postgres.js would serialise "-infinity" as a JavaScript Date.
    const cursor = this.sql`
      select election_id::text, receipt_id::text, selections, counted_at
        from votes.ballots
       where counted_at >= ${since}::text::timestamptz
       order by counted_at, receipt_id`.cursor(this.batchSize);
    for await (const rows of cursor) {
      yield (rows as unknown as { election_id: string; receipt_id: string; selections: unknown; counted_at: Date }[]).map(
        (r) => ({
          electionId: r.election_id,
          receiptId: r.receipt_id,
          selections: JSON.stringify(r.selections),
          countedAt: r.counted_at.toISOString(),
        }),
      );
    }
  }

  /** Every void in `votes.voided_ballots` (or those since a time), in the order they were made. */
  async *voids(since = '-infinity'): AsyncGenerator<VoidedBallot[]> {
    const cursor = this.sql`
      select election_id::text, receipt_id::text, reason, voided_at
        from votes.voided_ballots
       where voided_at >= ${since}::text::timestamptz
       order by void_seq, receipt_id`.cursor(this.batchSize);
    for await (const rows of cursor) {
      yield (rows as unknown as { election_id: string; receipt_id: string; reason: string; voided_at: Date }[]).map((r) => ({
        electionId: r.election_id,
        receiptId: r.receipt_id,
        reason: r.reason,
        at: r.voided_at.toISOString(),
      }));
    }
  }
}
