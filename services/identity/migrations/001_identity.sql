-- Voters, their refresh-token families, and the keys that sign access tokens.
create table if not exists identity.voters (
  id uuid primary key,
  -- Normalised (trimmed, lower-cased): one voter per address.
  email text not null unique,
  password_hash text not null,
  roles text[] not null default array['voter'],
  created_at timestamptz not null default now()
);

-- One family per login; every refresh token descends from it. A reused token revokes the family.
create table if not exists identity.refresh_families (
  id uuid primary key,
  voter_id uuid not null references identity.voters (id) on delete cascade,
  -- The DPoP key thumbprint every token of the family is bound to.
  jkt text not null,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text
);
create index if not exists refresh_families_voter on identity.refresh_families (voter_id);

create table if not exists identity.refresh_tokens (
  -- SHA-256 of the token: the token itself is never stored.
  token_hash bytea primary key,
  family_id uuid not null references identity.refresh_families (id) on delete cascade,
  created_at timestamptz not null default now(),
  spent_at timestamptz
);
create index if not exists refresh_tokens_family on identity.refresh_tokens (family_id);

create table if not exists identity.signing_keys (
  kid text primary key,
  alg text not null,
  public_jwk jsonb not null,
  -- AES-256-GCM under KEY_ENCRYPTION_KEY: iv (12) || tag (16) || ciphertext; the kid is the AAD.
  private_key_encrypted bytea not null,
  created_at timestamptz not null default now(),
  activates_at timestamptz not null
);
