-- The relay (services/relay) moves counted ballots into JetStream in commit order by logical
-- decoding of this publication (docs/adr/0003). Inserts only, named by the partitioned table, and
-- only the columns a leaf of the audit log needs: voter_id is not in the publication, so decoding
-- never hands it to the relay.
do $$
begin
  if not exists (select 1 from pg_publication where pubname = 'onevote_ballots') then
    create publication onevote_ballots
      for table votes.ballots (election_id, receipt_id, selections, counted_at)
      with (publish = 'insert', publish_via_partition_root = true);
  end if;
end $$;

-- After a JetStream loss the relay re-publishes from the table itself: it reads what a leaf needs,
-- never voter_id (as for ballot's export, 002_reader_grants.sql).
do $$
begin
  if exists (select 1 from pg_roles where rolname = 'onevote_relay') then
    grant select (election_id, receipt_id, selections, counted_at) on votes.ballots to onevote_relay;
  end if;
end $$;
