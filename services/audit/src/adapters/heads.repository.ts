import type { Sql } from '@onevote/platform';
import type { SignedTreeHead } from '../domain/tree-head.ts';

interface HeadRow {
  election_id: string;
  tree_size: string;
  root_hash: string;
  signed_ts: string;
  signature: string;
  key_id: string;
  final: boolean;
}

const toHead = (r: HeadRow): SignedTreeHead => ({
  electionId: r.election_id,
  treeSize: Number(r.tree_size),
  rootHash: r.root_hash,
  timestamp: r.signed_ts,
  signature: r.signature,
  keyId: r.key_id,
  final: r.final,
});

/** Signed heads and what the log knows of each election's lifecycle (schema `audit`). */
export class HeadsRepository {
  constructor(private readonly sql: Sql) {}

  async save(head: SignedTreeHead): Promise<void> {
    await this.sql.unsafe(
      `insert into audit.heads (election_id, tree_size, root_hash, signed_ts, signature, key_id, final)
       values ($1, $2, $3, $4, $5, $6, $7) on conflict do nothing`,
      [head.electionId, head.treeSize, head.rootHash, head.timestamp, head.signature, head.keyId, head.final] as never[],
    );
    if (head.final) await this.sql.unsafe('update audit.elections set final_at = now() where election_id = $1', [head.electionId]);
  }

  /**
   * The head served: the largest tree, and of its heads the final one, else the last signed. Not
   * simply the last signed: two replicas sign the same log, and one that read a smaller root (or
   * signed an ordinary head after the other signed the final one) may save its head later; served,
   * it would look to a verifier as if the log shrank or stopped being final. The primary key's
   * index (election, size, timestamp) read backwards finds it without a sort of every head.
   */
  async newest(electionId: string): Promise<SignedTreeHead | undefined> {
    const [row] = (await this.sql.unsafe(
      `select election_id::text, tree_size, root_hash, signed_ts, signature, key_id, final from audit.heads
        where election_id = $1 order by tree_size desc, final desc, signed_ts desc limit 1`,
      [electionId],
      { prepare: true },
    )) as unknown as HeadRow[];
    return row ? toHead(row) : undefined;
  }

  /** Elections whose log has grown past its newest head (after a restart: heads are due). */
  async unsigned(): Promise<string[]> {
    const rows = (await this.sql.unsafe(
      `select t.election_id::text from audit.trees t
        where t.size > coalesce((select max(h.tree_size) from audit.heads h where h.election_id = t.election_id), -1)`,
    )) as unknown as { election_id: string }[];
    return rows.map((r) => r.election_id);
  }

  async markClosed(electionId: string, at: string): Promise<void> {
    await this.sql.unsafe(
      `insert into audit.elections (election_id, closed_at) values ($1, $2)
       on conflict (election_id) do update set closed_at = coalesce(audit.elections.closed_at, excluded.closed_at)`,
      [electionId, at],
    );
  }

  /** Closed elections without a final head yet. */
  async awaitingFinal(): Promise<string[]> {
    const rows = (await this.sql.unsafe(
      'select election_id::text from audit.elections where closed_at is not null and final_at is null',
    )) as unknown as { election_id: string }[];
    return rows.map((r) => r.election_id);
  }

  async isFinal(electionId: string): Promise<boolean> {
    const [row] = (await this.sql.unsafe('select final_at from audit.elections where election_id = $1', [electionId], {
      prepare: true,
    })) as unknown as { final_at: Date | null }[];
    return Boolean(row?.final_at);
  }

  /** Ballot leaves in the log (what a final head must equal the results' count of). */
  async ballotCount(electionId: string): Promise<number> {
    const [row] = (await this.sql.unsafe(
      // The tally of the log (API.md): ballot leaves minus the voided ones, as the results count.
      `select (count(*) filter (where kind = 'ballot') - count(*) filter (where kind = 'void'))::text as n
         from audit.leaves where election_id = $1 and kind in ('ballot', 'void')`,
      [electionId],
    )) as unknown as { n: string }[];
    return Number(row?.n ?? 0);
  }
}
