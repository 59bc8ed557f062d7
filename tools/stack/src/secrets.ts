import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

/** Development secrets, generated once per data directory and kept there (never committed). */
export interface StackSecrets {
  /** HMAC key that signs ALTCHA challenges (identity, vote-api). */
  ALTCHA_HMAC_KEY: string;
  /** Key that encrypts token-signing private keys at rest (identity). */
  KEY_ENCRYPTION_KEY: string;
}

export function loadOrCreateSecrets(file: string | undefined): StackSecrets {
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as StackSecrets;
  const secrets: StackSecrets = {
    ALTCHA_HMAC_KEY: randomBytes(32).toString('base64url'),
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  };
  if (file) writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}
