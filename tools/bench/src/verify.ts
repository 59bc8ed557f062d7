import postgres from 'postgres';

export interface Verification {
  ballotRows: number;
  /** 201 receipts that are not in PostgreSQL (I1). */
  lost: number;
  /** Ballots beyond one per voter, and tally counts beyond the ballot rows (I2, I3). */
  doubleCounted: number;
  /** Tallies that count fewer than the ballot rows (I3). */
  undercounted: number;
  /** 201 receipts stored under another voter. */
  wrongVoter: number;
  /** Ballot rows per vote shard group (index = group): "checked from every shard". */
  perShard: number[];
}

/**
 * Checks, from the database, that every acknowledged ballot is stored exactly once and tallied.
 * `databaseUrls`: the database on every vote shard group (one URL: one group). A voter's ballots are
 * counted over all groups, so a second ballot on another group is double counting too (I2), and
 * each group's tallies must equal its own ballot rows (I3 holds per group, in its transactions).
 */
export async function verify(databaseUrls: string | string[], electionId: string, receipts: Map<string, string>): Promise<Verification> {
  const urls = typeof databaseUrls === 'string' ? [databaseUrls] : databaseUrls;
  const byVoter = new Map<string, string[]>();
  const storedReceipts = new Set<string>();
  const perShard: number[] = [];
  let over = 0;
  let under = 0;
  for (const url of urls) {
    const sql = postgres(url, { max: 2, onnotice: () => {} });
    try {
      const rows = await sql<{ voter_id: string; receipt_id: string }[]>`
        select voter_id, receipt_id::text from votes.ballots where election_id = ${electionId}`;
      for (const r of rows) {
        byVoter.set(r.voter_id, [...(byVoter.get(r.voter_id) ?? []), r.receipt_id]);
        storedReceipts.add(r.receipt_id);
      }
      const [tally] = await sql<{ votes: string }[]>`
        select coalesce(sum(votes), 0)::text as votes from votes.tallies where election_id = ${electionId}`;
      const [totals] = await sql<{ ballots: string }[]>`
        select coalesce(sum(ballots), 0)::text as ballots from votes.ballot_totals where election_id = ${electionId}`;
      // One single-choice question: every ballot adds exactly one vote and one to the total.
      const tallied = Number(tally!.votes);
      const totalled = Number(totals!.ballots);
      over += Math.max(0, tallied - rows.length) + Math.max(0, totalled - rows.length);
      under += Math.max(0, rows.length - tallied) + Math.max(0, rows.length - totalled);
      perShard.push(rows.length);
    } finally {
      await sql.end();
    }
  }
  let lost = 0;
  let wrongVoter = 0;
  for (const [voterId, receiptId] of receipts) {
    if (!storedReceipts.has(receiptId)) lost++;
    else if (!byVoter.get(voterId)?.includes(receiptId)) wrongVoter++;
  }
  const extraPerVoter = [...byVoter.values()].reduce((n, list) => n + list.length - 1, 0);
  const ballotRows = perShard.reduce((a, b) => a + b, 0);
  return { ballotRows, lost, doubleCounted: extraPerVoter + over, undercounted: under, wrongVoter, perShard };
}
