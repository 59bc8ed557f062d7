-- Fraud review (issue 17): the risk signals of every counted ballot, kept for the election's life,
-- and voids of ballots an admin found fraudulent. See docs/fraud-review.md.

-- One random salt per election: key hashes of one election cannot be joined with another's.
create table votes.review_salts (
  election_id uuid  primary key,
  salt        bytea not null
);

-- Written in the group commit's statement, for exactly the rows it inserted. No voter id: the
-- network (/24 or /64), a salted hash of the DPoP key thumbprint, the token's age and the risk
-- decision the ballot passed (`challenge` = a challenge was asked for and solved).
create table votes.ballot_signals (
  election_id       uuid        not null,
  receipt_id        uuid        not null,
  subnet            text        not null,
  key_hash          text        not null,
  token_age_seconds integer     not null,
  risk              text        not null check (risk in ('allow', 'challenge')),
  -- Comma-separated risk reasons of the decision (empty for `allow`).
  reasons           text        not null default '',
  counted_at        timestamptz not null,
  primary key (election_id, receipt_id)
);

-- Who voided how many ballots of an election, and why. Read by ballot (column grant below) into
-- the election's history.
create table votes.void_actions (
  seq         bigint      generated always as identity primary key,
  id          uuid        not null unique,
  election_id uuid        not null,
  actor       text        not null,
  reason      text        not null,
  cluster_id  text,
  ballots     integer     not null check (ballots > 0),
  at          timestamptz not null default now()
);

-- A voided ballot stays in votes.ballots (I2: its voter keeps the one seat and cannot vote again);
-- this row cancels it. The primary key makes a void idempotent: a ballot is voided at most once,
-- and the tallies drop only by the rows a void actually inserted (I3), in the same transaction.
create table votes.voided_ballots (
  election_id uuid        not null,
  receipt_id  uuid        not null,
  void_seq    bigint      not null,
  reason      text        not null,
  voided_at   timestamptz not null default now(),
  primary key (election_id, receipt_id)
);

-- Ballots voided per election and slot. `ballots` drops by each void, so results read
-- `ballots + 2 * voided` (every commit and every void makes it grow) to order tally reads.
alter table votes.ballot_totals add column voided bigint not null default 0;

-- The relay carries voids into JetStream BALLOTS like ballots (audit appends a `void` leaf each).
do $$
begin
  if exists (select 1 from pg_publication where pubname = 'onevote_ballots')
     and not exists (
       select 1 from pg_publication_tables
        where pubname = 'onevote_ballots' and schemaname = 'votes' and tablename = 'voided_ballots') then
    alter publication onevote_ballots add table votes.voided_ballots (election_id, receipt_id, reason, voided_at);
  end if;
end $$;

do $$
begin
  -- Re-publishing after a JetStream loss reads the voids too.
  if exists (select 1 from pg_roles where rolname = 'onevote_relay') then
    grant select (election_id, receipt_id, void_seq, reason, voided_at) on votes.voided_ballots to onevote_relay;
  end if;
  -- ballot copies each void action into the election's history (who, how many, why).
  if exists (select 1 from pg_roles where rolname = 'onevote_ballot') then
    grant select (seq, id, election_id, actor, reason, cluster_id, ballots, at) on votes.void_actions to onevote_ballot;
  end if;
end $$;
