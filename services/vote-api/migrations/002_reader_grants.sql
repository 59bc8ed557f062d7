-- Least privilege for the two services that read this schema (docs/adr/0001): results reads the
-- tallies, ballot exports counted ballots — and neither may read voter_id, the link between a
-- person and a ballot. Column grants, not table grants; partitions get none (they are read only
-- through the parent, whose privileges are the ones checked). The roles are made by the stack or
-- by infrastructure code; on a database without them (one shared role) this does nothing.
do $$
declare
  reader text;
begin
  foreach reader in array array['onevote_ballot', 'onevote_results'] loop
    if exists (select 1 from pg_roles where rolname = reader) then
      execute format('revoke all on all tables in schema votes from %I', reader);
      -- Earlier stacks granted every future table of this schema to the readers.
      execute format('alter default privileges in schema votes revoke all on tables from %I', reader);
    end if;
  end loop;
  if exists (select 1 from pg_roles where rolname = 'onevote_results') then
    grant select on votes.tallies, votes.ballot_totals to onevote_results;
  end if;
  if exists (select 1 from pg_roles where rolname = 'onevote_ballot') then
    grant select (election_id, receipt_id, selections, counted_at) on votes.ballots to onevote_ballot;
  end if;
end $$;
