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

/**
 * One message of JetStream `BALLOTS` (`natsNames.ballotsCounted`), published by the relay: the
 * ballots one vote-api transaction counted for one election, in commit order. `commitLsn` is absent
 * when the relay refills a lost stream from the table. Consumers append each ballot once, whatever
 * is delivered twice.
 */
export interface BallotsCounted {
  v: 1;
  electionId: string;
  /**
   * The vote shard group whose transactions these are (absent: group 0). Ballots of one election
   * may come from several groups, interleaved; each group's arrive in its commit order.
   */
  shard?: number;
  /** The transaction's commit position in its shard group's WAL (`0/16B3748`). */
  commitLsn?: string;
  /** When the transaction committed (RFC 3339). */
  committedAt: string;
  ballots: { receiptId: string; selections: { questionId: string; optionIds: string[] }[]; countedAt: string }[];
  /** Ballots an admin voided in these transactions (fraud review), in void order; absent when none. */
  voids?: { receiptId: string; reason: string; at: string }[];
}

/**
 * One message of JetStream `ELECTION_EVENTS` (`natsNames.electionEvent`), published by ballot for
 * each entry of an election's history: the lifecycle events the audit log records.
 */
export interface ElectionEvent {
  v: 1;
  electionId: string;
  /** The history entry's sequence number: unique, and the order events happened in. */
  seq: number;
  event: 'created' | 'edited' | 'opened' | 'closed' | 'deleted' | 'roll_replaced' | 'ballots_voided';
  at: string;
}
