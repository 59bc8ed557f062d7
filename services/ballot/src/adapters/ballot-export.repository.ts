import type { Sql } from '@onevote/platform';
import type { ExportedBallot } from '../domain/export-format.ts';

type Row = { receipt_id: string; selections: unknown; counted_at: Date; sort_key?: string };

const toExported = (r: Row): ExportedBallot => ({
  receiptId: r.receipt_id,
  selections: r.selections,
  countedAt: r.counted_at.toISOString(),
});

/**
 * Counted ballots of one election, read from vote-api's `votes` schema through the read-only grant
 * the stack gives this service's role, on every vote shard group that holds the election's
 * ballots. Only receipt, selections and time are selected: the voter id never leaves the database.
 */
export class BallotExportRepository {
  /** `shards`: this service's pool on every vote shard group, index = group (one group: [DATABASE_URL's]). */
  constructor(
    private readonly shards: Sql[],
    private readonly batchSize = 1000,
  ) {}

  /**
   * Rows in batches from server-side cursors: memory holds one batch per group, whatever the
   * election's size. In one order whatever the number of groups: by commit time, then receipt id
   * (each group's cursor in that order, merged).
   */
  async *ballots(electionId: string, shardCount = 1): AsyncGenerator<ExportedBallot[]> {
    if (shardCount > this.shards.length) {
      throw new Error(`election ${electionId} is on ${shardCount} vote shard groups; VOTE_SHARD_URLS names ${this.shards.length}`);
    }
    if (shardCount <= 1) {
      for await (const batch of this.cursor(this.shards[0]!, electionId, false)) yield batch.map(toExported);
      return;
    }
    yield* this.merged(this.shards.slice(0, shardCount).map((sql) => this.cursor(sql, electionId, true)));
  }

  private cursor(sql: Sql, electionId: string, keyed: boolean): AsyncIterable<Row[]> {
    // The key orders like `counted_at, receipt_id` does in PostgreSQL (microseconds, which a JS Date
    // would drop), so merging the groups' cursors gives the order one table would.
    return sql.unsafe(
      `select receipt_id, selections, counted_at
              ${keyed ? `, to_char(counted_at at time zone 'UTC', 'YYYYMMDDHH24MISSUS') || ' ' || receipt_id::text as sort_key` : ''}
         from votes.ballots
        where election_id = $1
        order by counted_at, receipt_id`,
      [electionId],
    ).cursor(this.batchSize) as unknown as AsyncIterable<Row[]>;
  }

  /** A k-way merge of sorted cursors by `sort_key`, in batches of `batchSize`. */
  private async *merged(cursors: AsyncIterable<Row[]>[]): AsyncGenerator<ExportedBallot[]> {
    const sources = cursors.map((c) => ({ iterator: c[Symbol.asyncIterator](), rows: [] as Row[], at: 0, done: false }));
    const fill = async (source: (typeof sources)[number]) => {
      while (!source.done && source.at >= source.rows.length) {
        const next = await source.iterator.next();
        if (next.done) source.done = true;
        else {
          source.rows = next.value;
          source.at = 0;
        }
      }
    };
    try {
      await Promise.all(sources.map(fill));
      let out: ExportedBallot[] = [];
      for (;;) {
        let best: (typeof sources)[number] | undefined;
        for (const source of sources) {
          if (source.at >= source.rows.length) continue;
          if (!best || source.rows[source.at]!.sort_key! < best.rows[best.at]!.sort_key!) best = source;
        }
        if (!best) break;
        out.push(toExported(best.rows[best.at++]!));
        if (best.at >= best.rows.length) await fill(best);
        if (out.length >= this.batchSize) {
          yield out;
          out = [];
        }
      }
      if (out.length > 0) yield out;
    } finally {
      // A client that went away mid-export: close every cursor (and give back its connection).
      await Promise.all(sources.map((s) => (s.done ? undefined : s.iterator.return?.())));
    }
  }
}
