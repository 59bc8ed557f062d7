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
}

/** Checks, from the database, that every acknowledged ballot is stored exactly once and tallied. */
export async function verify(databaseUrl: string, electionId: string, receipts: Map<string, string>): Promise<Verification> {
  const sql = postgres(databaseUrl, { max: 2, onnotice: () => {} });
  try {
    const rows = await sql<{ voter_id: string; receipt_id: string }[]>`
      select voter_id, receipt_id::text from votes.ballots where election_id = ${electionId}`;
    const byVoter = new Map<string, string[]>();
    const storedReceipts = new Set<string>();
    for (const r of rows) {
      byVoter.set(r.voter_id, [...(byVoter.get(r.voter_id) ?? []), r.receipt_id]);
      storedReceipts.add(r.receipt_id);
    }
    let lost = 0;
    let wrongVoter = 0;
    for (const [voterId, receiptId] of receipts) {
      if (!storedReceipts.has(receiptId)) lost++;
      else if (!byVoter.get(voterId)?.includes(receiptId)) wrongVoter++;
    }
    const extraPerVoter = [...byVoter.values()].reduce((n, list) => n + list.length - 1, 0);
    const [tally] = await sql<{ votes: string }[]>`
      select coalesce(sum(votes), 0)::text as votes from votes.tallies where election_id = ${electionId}`;
    const [totals] = await sql<{ ballots: string }[]>`
      select coalesce(sum(ballots), 0)::text as ballots from votes.ballot_totals where election_id = ${electionId}`;
    // One single-choice question: every ballot adds exactly one vote and one to the total.
    const tallied = Number(tally!.votes);
    const totalled = Number(totals!.ballots);
    const over = Math.max(0, tallied - rows.length) + Math.max(0, totalled - rows.length);
    const under = Math.max(0, rows.length - tallied) + Math.max(0, rows.length - totalled);
    return { ballotRows: rows.length, lost, doubleCounted: extraPerVoter + over, undercounted: under, wrongVoter };
  } finally {
    await sql.end();
  }
}
