-- Vote shard groups (issue 18): each election's shard map version, the number of vote shard groups
-- its ballots are spread over (packages/election-config, shard-map.ts), fixed when it is created
-- and published with its config. Elections made before sharding have their ballots on group 0.
alter table ballot.elections add column shards smallint not null default 1 check (shards >= 1);

-- A void across shard groups is one action per group that voided (each group's votes.void_actions
-- numbers its own): a history entry per (group, action). Group 0's entries carry no `shard`.
drop index ballot.history_one_per_void;
create unique index history_one_per_void on ballot.history
  ((coalesce((changes->>'shard')::int, 0)), ((changes->>'voidSeq')::bigint)) where action = 'void';
