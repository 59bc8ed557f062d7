// Normalised and validated the same way everywhere an address is compared (voter rolls too).
export { isValidEmail, normaliseEmail } from '@onevote/contracts';

/** For log lines and support: enough to recognise, not enough to harvest (`a***@example.org`). */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
