-- The audit schema, owned by the audit service: one append-only RFC 9162 Merkle log per election.

-- The log's size per election. Appends lock this row (select ... for update), so one batch at a
-- time extends a log and leaf indexes have no gaps.
create table audit.trees (
  election_id uuid   primary key,
  size        bigint not null default 0 check (size >= 0)
);

-- The leaves exactly as served: `leaf` is the UTF-8 bytes of the JSON string that verifiers hash.
-- leaf_key is what makes a leaf one of a kind: the ballot's hash (base64url SHA-256 of the receipt
-- id) for ballot and void leaves, `seq:<n>` of the history entry for event leaves. No voter id.
create table audit.leaves (
  election_id uuid   not null,
  leaf_index  bigint not null check (leaf_index >= 0),
  leaf        bytea  not null,
  leaf_hash   bytea  not null check (length(leaf_hash) = 32),
  kind        text   not null,
  leaf_key    text,
  primary key (election_id, leaf_index),
  check (kind <> 'ballot' or leaf_key is not null)
);

-- One leaf per ballot, per void of a ballot and per event, whatever JetStream redelivers; also how
-- a receipt finds its leaf.
create unique index leaves_one_per_key on audit.leaves (election_id, kind, leaf_key) where leaf_key is not null;

-- The hash of every complete subtree: node (level, node_index) covers leaves
-- [node_index * 2^level, (node_index + 1) * 2^level). Level 0 is the leaf hashes. Written once,
-- never updated: heads and proofs combine O(log n) of these instead of rehashing the log.
create table audit.nodes (
  election_id uuid     not null,
  level       smallint not null check (level between 0 and 62),
  node_index  bigint   not null check (node_index >= 0),
  hash        bytea    not null check (length(hash) = 32),
  primary key (election_id, level, node_index)
);
