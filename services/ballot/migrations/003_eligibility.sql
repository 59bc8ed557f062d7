-- Who may vote in an election (API.md, "Eligibility and verified identity"; issue 16). Existing
-- elections were open to any signed-in voter, so that is the default.
alter table ballot.elections
  add column eligibility text not null default 'open'
  check (eligibility in ('open', 'verified_email', 'roll'));
