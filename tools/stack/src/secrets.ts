import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Development secrets, generated once per data directory and kept there (never committed). */
export interface StackSecrets {
  /** HMAC key that signs ALTCHA challenges (identity, vote-api). */
  ALTCHA_HMAC_KEY: string;
  /** Key that encrypts token-signing private keys at rest (identity). */
  KEY_ENCRYPTION_KEY: string;
  /** Key of the email hashes voter rolls are matched on (identity's tokens, ballot's rolls). */
  EMAIL_HASH_KEY: string;
  /** Key that encrypts the audit log's tree-head signing keys at rest (audit): not identity's. */
  AUDIT_KEY_ENCRYPTION_KEY: string;
  /**
   * The seeded admin's password when ONEVOTE_ADMIN_PASSWORD is not given: random, made on the first
   * start, kept only here (0600). No OneVote stack ships with a known admin password.
   */
  ONEVOTE_ADMIN_PASSWORD: string;
}

/** The secrets of a data directory, and whether this call made them (so the password is shown once). */
export function loadOrCreateSecrets(file: string | undefined): StackSecrets & { created: boolean } {
  const fresh = (): StackSecrets => ({
    ALTCHA_HMAC_KEY: randomBytes(32).toString('base64url'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    AUDIT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
    EMAIL_HASH_KEY: randomBytes(32).toString('base64url'),
    ONEVOTE_ADMIN_PASSWORD: randomBytes(15).toString('base64url'),
  });
  if (file && existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<StackSecrets>;
    // A data directory from before a secret existed gets it added; its admin password is shown once.
    const upgraded = { ...fresh(), ...stored } as StackSecrets;
    if (Object.keys(upgraded).length === Object.keys(stored).length) return { ...upgraded, created: false };
    writeFileSync(file, JSON.stringify(upgraded, null, 2), { mode: 0o600 });
    return { ...upgraded, created: !stored.ONEVOTE_ADMIN_PASSWORD };
  }
  const secrets = fresh();
  if (file) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return { ...secrets, created: true };
}
