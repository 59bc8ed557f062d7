import type { Sql } from '@onevote/platform';
import type { CountedBallot, VoidedBallot } from '../domain/transactions.ts';

/**
 * Every counted ballot in `votes.ballots` (the columns a leaf needs; the relay's role can read no
 * other), for refilling a BALLOTS stream that was lost. A server-side cursor keeps memory to one
 * batch whatever the number of ballots.
 */
export class CountedBallots {
  constructor(
    private readonly sql: Sql,
    private readonly batchSize = 1000,
  ) {}

  async *all(): AsyncGenerator<CountedBallot[]> {
    const cursor = this.sql`
      select election_id::text, receipt_id::text, selections, counted_at
        from votes.ballots
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

  /** Every void in `votes.voided_ballots`, in the order they were made (for the same refill). */
  async *voids(): AsyncGenerator<VoidedBallot[]> {
    const cursor = this.sql`
      select election_id::text, receipt_id::text, reason, voided_at
        from votes.voided_ballots
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
