-- Voter rolls (API.md, "Eligibility and verified identity"; issue 16). A roll holds only the keyed
-- hash of each normalised address (EMAIL_HASH_KEY, shared with identity): no address is stored
-- outside identity's schema. An upload writes a new version beside the current one and switches
-- to it in the same transaction, so a failed or interrupted upload leaves the old roll whole.
alter table ballot.elections
  add column roll_version integer not null default 0,
  add column roll_size    integer not null default 0;

create sequence ballot.roll_versions;

create table ballot.roll_members (
  election_id uuid    not null references ballot.elections (id) on delete cascade,
  version     integer not null,
  email_hash  text    not null,
  primary key (election_id, version, email_hash)
);

-- Replacing a roll is recorded in the election's history (who, when, size).
alter table ballot.history drop constraint history_action_check;
alter table ballot.history add constraint history_action_check
  check (action in ('create', 'edit', 'open', 'close', 'delete', 'roll'));
