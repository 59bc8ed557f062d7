-- Every history entry is published to JetStream ELECTION_EVENTS, at least once, for the public
-- audit log (issue 15): unpublished entries are retried by the scheduler's tick until acknowledged.
alter table ballot.history add column published_at timestamptz;
create index history_unpublished on ballot.history (seq) where published_at is null;
