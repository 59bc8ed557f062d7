-- The votes schema, owned by vote-api. results and ballot read it (read-only grants from the stack).

-- I2: the primary key is the one-vote rule. Hash-partitioned by voter so a cluster can spread the
-- partitions over shards routed by the same hash (ARCHITECTURE.md, Data).
create table votes.ballots (
  election_id     uuid        not null,
  voter_id        text        not null,
  receipt_id      uuid        not null,
  idempotency_key text        not null,
  selections      jsonb       not null,
  counted_at      timestamptz not null default now(),
  primary key (election_id, voter_id)
) partition by hash (voter_id);

create table votes.ballots_p0 partition of votes.ballots for values with (modulus 8, remainder 0);
create table votes.ballots_p1 partition of votes.ballots for values with (modulus 8, remainder 1);
create table votes.ballots_p2 partition of votes.ballots for values with (modulus 8, remainder 2);
create table votes.ballots_p3 partition of votes.ballots for values with (modulus 8, remainder 3);
create table votes.ballots_p4 partition of votes.ballots for values with (modulus 8, remainder 4);
create table votes.ballots_p5 partition of votes.ballots for values with (modulus 8, remainder 5);
create table votes.ballots_p6 partition of votes.ballots for values with (modulus 8, remainder 6);
create table votes.ballots_p7 partition of votes.ballots for values with (modulus 8, remainder 7);

-- I3: tallies change only by deltas computed from the rows a commit actually inserted, in the same
-- transaction. Spread over slots so concurrent commits never queue on one hot row; read as sums.
create table votes.tallies (
  election_id uuid     not null,
  question_id uuid     not null,
  option_id   uuid     not null,
  slot        smallint not null,
  votes       bigint   not null default 0,
  primary key (election_id, question_id, option_id, slot)
);

-- Counted ballots per election (a ballot may select several options, so this is not a sum of votes).
create table votes.ballot_totals (
  election_id uuid     not null,
  slot        smallint not null,
  ballots     bigint   not null default 0,
  primary key (election_id, slot)
);
