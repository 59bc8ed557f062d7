/**
 * Published by vote-api on `natsNames.tallyChanged(electionId)` right after a commit that counted
 * ballots of that election. It carries no counts: a subscriber re-reads the tally sums from
 * PostgreSQL (so a lost or repeated notification can never skew a tally; I3, I4).
 */
export interface TallyChanged {
  electionId: string;
  /** Ballots this commit counted for the election. */
  ballots: number;
  /** When the commit returned (RFC 3339), for the commit-to-frame lag metric. */
  committedAt: string;
}
