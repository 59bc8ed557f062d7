-- Passkeys (WebAuthn, issue 16): the public-key credentials a voter registered. Only public keys are
-- kept; a credential id is unique across voters (WebAuthn §7.1 step 26: refuse one already registered).
-- Pending ceremony challenges are not here: they live in Redis (short-lived, single use, GETDEL).
create table if not exists identity.passkeys (
  id            uuid        primary key,
  voter_id      uuid        not null references identity.voters (id) on delete cascade,
  -- base64url of the raw credential id, as the browser sends it back at login.
  credential_id text        not null unique,
  -- The COSE_Key from the attestation (WebAuthn §6.5.1).
  public_key    bytea       not null,
  -- The authenticator's signature counter: a login must raise it unless both are 0 (synced passkeys).
  counter       bigint      not null default 0,
  transports    text[]      not null default '{}',
  name          text        not null,
  aaguid        text        not null,
  backed_up     boolean     not null default false,
  created_at    timestamptz not null default now(),
  last_used_at  timestamptz
);
create index if not exists passkeys_voter on identity.passkeys (voter_id);
