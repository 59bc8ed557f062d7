-- Multi-factor authentication (issue 16): a TOTP factor per voter (RFC 6238), and the methods a
-- session was authenticated with (RFC 8176 `amr`), kept per refresh family so refreshed tokens
-- carry what the login proved.
create table if not exists identity.totp_factors (
  voter_id         uuid        primary key references identity.voters (id) on delete cascade,
  -- AES-256-GCM under KEY_ENCRYPTION_KEY (the voter id is the AAD), as the signing keys.
  secret_encrypted bytea       not null,
  -- Null while enrolment waits for a first code from the authenticator app.
  confirmed_at     timestamptz,
  -- The last time step a code was accepted for: a code is good once (replay protection).
  last_time_step   bigint,
  created_at       timestamptz not null default now()
);

alter table identity.refresh_families add column if not exists amr text[] not null default array['pwd'];
