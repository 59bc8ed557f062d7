-- The ballot schema: elections and their history. Owned by the ballot service.

create table ballot.elections (
  id                 uuid        primary key,
  title              text        not null,
  description        text        not null default '',
  status             text        not null check (status in ('draft', 'open', 'closed')),
  -- Questions with their options and ids; always read and written whole, with the election.
  questions          jsonb       not null,
  opens_at           timestamptz,
  closes_at          timestamptz,
  results_visibility text        not null check (results_visibility in ('live', 'after_close')),
  require_challenge  boolean     not null default false,
  created_at         timestamptz not null default now(),
  updated_at         timestamptz not null default now(),
  -- +1 on every change; the KV entry carries it so readers and publishers only move forward.
  revision           integer     not null default 1,
  -- The last revision known to be in the KV bucket; below `revision` means "publish pending".
  published_revision integer     not null default 0,
  -- A delete keeps a tombstone so the KV delete can be retried and the history stays readable.
  deleted_at         timestamptz,
  -- Set only by `cli.ts seed`, so seeding twice finds the first demo election.
  seed_key           text        unique
);

-- The scheduler's two conditional updates look only at elections with something due.
create index elections_opens_due on ballot.elections (opens_at) where status = 'draft' and deleted_at is null;
create index elections_closes_due on ballot.elections (closes_at) where status = 'open';
create index elections_publish_pending on ballot.elections (id) where published_revision < revision;
create index elections_listing on ballot.elections (created_at desc) where deleted_at is null;

create table ballot.history (
  seq         bigint      generated always as identity primary key,
  election_id uuid        not null,
  at          timestamptz not null default now(),
  -- The admin's voter id, or "scheduler" / "seed".
  actor       text        not null,
  action      text        not null check (action in ('create', 'edit', 'open', 'close', 'delete')),
  changes     jsonb       not null
);
create index history_by_election on ballot.history (election_id, seq);
