import { createHmac, hkdfSync, randomInt, timingSafeEqual } from 'node:crypto';

export type CodePurpose = 'verify_email' | 'reset_password' | 'change_email';

/** A 6-digit one-time code, uniformly drawn (leading zeros included). */
export function newCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/**
 * Hashes one-time codes for storage. A code has only a million values, so a plain hash would be
 * reversed by trying them all: it is an HMAC under a key derived from the service's key-encryption
 * key, bound to the voter and the purpose (a code for one voter or purpose is no good for another).
 */
export class CodeHasher {
  private readonly key: Buffer;

  constructor(keyEncryptionKey: string) {
    this.key = Buffer.from(hkdfSync('sha256', Buffer.from(keyEncryptionKey, 'base64url'), 'onevote-identity', 'one-time codes v1', 32));
  }

  hash(voterId: string, purpose: CodePurpose, code: string): Buffer {
    return createHmac('sha256', this.key).update(`${purpose}\n${voterId}\n${code}`).digest();
  }

  matches(stored: Uint8Array, voterId: string, purpose: CodePurpose, code: string): boolean {
    const candidate = this.hash(voterId, purpose, code);
    return stored.length === candidate.length && timingSafeEqual(stored, candidate);
  }
}
