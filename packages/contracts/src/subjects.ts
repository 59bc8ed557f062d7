/** NATS names shared by publishers and consumers; each lives here once. */
export const natsNames = {
  /** KV bucket holding each election's config, keyed by election id. */
  electionsBucket: 'elections',
  /** Core subject a vote-api publishes to after each commit that changed an election's tally. */
  tallyChanged: (electionId: string) => `onevote.tally.${electionId}`,
  tallyChangedWildcard: 'onevote.tally.*',
  /** JetStream stream of counted ballots, in commit order. */
  ballotsStream: 'BALLOTS',
  ballotCounted: (electionId: string) => `onevote.ballots.${electionId}`,
} as const;
