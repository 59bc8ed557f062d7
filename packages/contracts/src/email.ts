/**
 * Emails are compared (registration, login, voter rolls) in one canonical form: trimmed, Unicode NFC, lower-cased. Lower-casing the
 * local part is not what RFC 5321 promises, but it is what every mail provider voters use does, and
 * it stops `Ann@x.org` and `ann@x.org` becoming two voters.
 */
export function normaliseEmail(raw: string): string {
  return raw.trim().normalize('NFC').toLowerCase();
}

// Pragmatic, not RFC 5322: one @, a local part without spaces or angle brackets, and a domain of
// dot-separated labels ending in a TLD of at least two letters.
const localPart = /^[^\s@<>()[\]\\,;:"]{1,64}$/u;
const domainLabel = /^(?!-)[\p{L}\p{N}-]{1,63}(?<!-)$/u;

export function isValidEmail(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.lastIndexOf('@');
  if (at <= 0 || email.indexOf('@') !== at) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!localPart.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) {
    return false;
  }
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => domainLabel.test(l))) return false;
  return /^\p{L}{2,}$/u.test(labels.at(-1)!);
}
