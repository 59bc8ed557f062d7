-- Fraud review (issue 17): the election's history records each void of ballots (who, how many,
-- why), copied from vote-api's votes.void_actions by the scheduler's tick; once per void action.
alter table ballot.history drop constraint history_action_check;
alter table ballot.history add constraint history_action_check
  check (action in ('create', 'edit', 'open', 'close', 'delete', 'roll', 'void'));
create unique index history_one_per_void on ballot.history (((changes->>'voidSeq')::bigint)) where action = 'void';
