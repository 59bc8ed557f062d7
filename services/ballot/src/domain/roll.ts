import { isValidEmail, normaliseEmail } from '@onevote/contracts';

export type RollLine = { kind: 'email'; email: string } | { kind: 'blank' } | { kind: 'header' } | { kind: 'invalid' };

/**
 * One line of a roll CSV: an address (normalised as at registration), the optional `email` header
 * on the first line, a blank line (ignored), or anything else (counted as invalid). A single CSV
 * field may be quoted; a line with several fields is not an address.
 */
export function parseRollLine(raw: string, first: boolean): RollLine {
  let field = raw.trim();
  if (field === '') return { kind: 'blank' };
  if (field.length >= 2 && field.startsWith('"') && field.endsWith('"')) field = field.slice(1, -1).replaceAll('""', '"').trim();
  if (first && field.toLowerCase() === 'email') return { kind: 'header' };
  const email = normaliseEmail(field);
  return isValidEmail(email) ? { kind: 'email', email } : { kind: 'invalid' };
}
