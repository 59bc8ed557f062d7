-- The relay's own state. Its position in vote-api's commits is its replication slot (kept by
-- PostgreSQL); this table remembers which BALLOTS stream it last filled, so a stream that was lost
-- and created anew is refilled from votes.ballots.
create table relay.state (
  name  text primary key,
  value text not null,
  at    timestamptz not null default now()
);
