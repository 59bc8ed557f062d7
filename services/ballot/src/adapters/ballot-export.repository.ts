import type { Sql } from '@onevote/platform';
import type { ExportedBallot } from '../domain/export-format.ts';

/**
 * Counted ballots of one election, read from vote-api's `votes` schema through the read-only grant
 * the stack gives this service's role. Only receipt, selections and time are selected: the voter id
 * never leaves the database.
 */
export class BallotExportRepository {
  constructor(
    private readonly sql: Sql,
    private readonly batchSize = 1000,
  ) {}

  /** Rows in batches from a server-side cursor: memory holds one batch, whatever the election's size. */
  async *ballots(electionId: string): AsyncGenerator<ExportedBallot[]> {
    const cursor = this.sql`
      select receipt_id, selections, counted_at
        from votes.ballots
       where election_id = ${electionId}
       order by counted_at, receipt_id`.cursor(this.batchSize);
    for await (const batch of cursor) {
      yield (batch as unknown as { receipt_id: string; selections: unknown; counted_at: Date }[]).map(
        (r) => ({
          receiptId: r.receipt_id,
          selections: r.selections,
          countedAt: r.counted_at.toISOString(),
        }),
      );
    }
  }
}
