import { createHmac, createSecretKey } from 'node:crypto';
import { Type } from '@sinclair/typebox';

/**
 * `EMAIL_HASH_KEY`: 32 random bytes, base64url. identity puts `email_hash` in the tokens of voters
 * with a verified address, ballot hashes the addresses of a voter roll with the same key, and
 * vote-api compares the two: roll membership is checked on the hot path without an address ever
 * leaving identity's schema (ballot hashes each uploaded line and keeps only the hash).
 */
export const emailHashKeyProperty = Type.String({ pattern: '^[A-Za-z0-9_-]{43}=?$' });

/**
 * The keyed hash of a normalised email address: 128 bits of HMAC-SHA-256, base64url (22
 * characters). Made once per key; the returned function hashes one address.
 */
export function emailHasher(key: string): (normalisedEmail: string) => string {
  const secret = createSecretKey(Buffer.from(key, 'base64url'));
  return (normalisedEmail) =>
    createHmac('sha256', secret).update(`onevote-email:v1\n${normalisedEmail}`).digest().subarray(0, 16).toString('base64url');
}

/** What an `email_hash` claim must look like to be used at all. */
export const emailHashPattern = /^[A-Za-z0-9_-]{22}$/;
