-- Tree-head signing keys: ES256, the private key sealed with AUDIT_KEY_ENCRYPTION_KEY (AES-256-GCM,
-- the key id bound as associated data). One is current; retired ones stay published so old heads
-- still verify.
create table audit.signing_keys (
  kid                   text        primary key,
  alg                   text        not null default 'ES256' check (alg in ('ES256')),
  public_jwk            jsonb       not null,
  private_key_encrypted bytea       not null,
  created_at            timestamptz not null default now(),
  retired_at            timestamptz
);
create unique index signing_keys_one_current on audit.signing_keys ((true)) where retired_at is null;

-- Every head signed: the newest is what GET …/log/head serves, and each is a size verifiers may
-- ask a consistency proof from. The timestamp is kept as the exact text that was signed.
create table audit.heads (
  election_id uuid        not null,
  tree_size   bigint      not null check (tree_size >= 0),
  root_hash   text        not null,
  signed_ts   text        not null,
  signature   text        not null,
  key_id      text        not null references audit.signing_keys (kid),
  final       boolean     not null default false,
  signed_at   timestamptz not null default now(),
  primary key (election_id, tree_size, signed_ts)
);
create index heads_newest on audit.heads (election_id, signed_at desc, tree_size desc);

-- What the log knows of each election's lifecycle (from its event leaves): a closed election gets
-- a final head once every counted ballot is in; after that nothing is appended.
create table audit.elections (
  election_id uuid        primary key,
  closed_at   timestamptz,
  final_at    timestamptz
);
