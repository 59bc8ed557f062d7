-- Changing the address (re-verification): the code is mailed to the new address, and the account
-- switches to it only when that code comes back. Every code now keeps the address it was mailed
-- to (what it proves); a pending change has nowhere else to keep its new address.
alter table identity.email_codes add column if not exists sent_to text;

alter table identity.email_codes drop constraint if exists email_codes_purpose_check;
alter table identity.email_codes add constraint email_codes_purpose_check
  check (purpose in ('verify_email', 'reset_password', 'change_email'));
alter table identity.email_codes add constraint email_codes_change_has_address
  check (purpose <> 'change_email' or sent_to is not null);
