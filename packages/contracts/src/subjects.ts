/** NATS names shared by publishers and consumers; each lives here once. */
export const natsNames = {
  /** KV bucket holding each election's config, keyed by election id. */
  electionsBucket: 'elections',
  /** Core subject a vote-api publishes to after each commit that changed an election's tally. */
  tallyChanged: (electionId: string) => `onevote.tally.${electionId}`,
  tallyChangedWildcard: 'onevote.tally.*',
  /** JetStream stream of counted ballots, in commit order (the relay publishes, audit consumes). */
  ballotsStream: 'BALLOTS',
  ballotsPrefix: 'onevote.ballots',
  /**
   * The subject of one committed transaction's ballots of one election. The stream's name is part
   * of it so that streams of separate runs (tests) sharing one server never claim the same subjects.
   */
  ballotsCounted: (stream: string, electionId: string) => `onevote.ballots.${stream}.${electionId}`,
  /** JetStream stream of election lifecycle events (ballot publishes from its history, audit consumes). */
  electionEventsStream: 'ELECTION_EVENTS',
  electionEventsPrefix: 'onevote.election-events',
  electionEvent: (stream: string, electionId: string) => `onevote.election-events.${stream}.${electionId}`,
} as const;
