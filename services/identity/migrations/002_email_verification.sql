-- Email verification and password reset (issue 16): when the voter proved their current address
-- (tokens carry `email_verified` from it), and the one-time codes mailed to them.
alter table identity.voters add column if not exists email_verified_at timestamptz;

-- At most one live code per voter and purpose; a new code replaces the old one. Only an HMAC of
-- the code is kept (a 6-digit code's plain SHA-256 would be reversed by trying all of them).
create table if not exists identity.email_codes (
  voter_id   uuid        not null references identity.voters (id) on delete cascade,
  purpose    text        not null check (purpose in ('verify_email', 'reset_password')),
  code_hash  bytea       not null check (length(code_hash) = 32),
  expires_at timestamptz not null,
  -- Wrong codes entered so far; at the maximum the code is spent.
  attempts   int         not null default 0 check (attempts >= 0),
  sent_at    timestamptz not null default now(),
  primary key (voter_id, purpose)
);
