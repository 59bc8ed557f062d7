import { randomBytes } from 'node:crypto';

/**
 * The id of a message the local mail catcher keeps (its file is `<id>.eml`): the arrival time in
 * ISO 8601's basic format (`20261201T135822.123Z`: sorts by time, and has no `:` for file systems
 * that refuse one) and 16 random hex digits. Nothing else is ever an id, so an id can be joined
 * to the mail directory without escaping it.
 */
export const mailIdPattern = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}$/;

/** A new message id for a message arriving at `now`. */
export function newMailId(now = new Date()): string {
  return `${now.toISOString().replace(/[-:]/g, '')}-${randomBytes(8).toString('hex')}`;
}

/** When the message with this id arrived (RFC 3339, UTC). */
export function mailArrival(id: string): string {
  return id.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2}\.\d{3}Z)-.*$/, '$1-$2-$3T$4:$5:$6');
}
