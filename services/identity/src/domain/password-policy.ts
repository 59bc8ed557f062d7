const minPasswordLength = 10;

export type PasswordProblem = 'too_short' | 'too_common';

/**
 * NIST SP 800-63B / OWASP: length over composition rules, and a block list of passwords known to
 * be common. `common` holds lower-cased entries; the comparison ignores case and outer spaces.
 */
export function passwordProblem(password: string, common: ReadonlySet<string>): PasswordProblem | undefined {
  // Code points, not UTF-16 units: an emoji is one character to the person typing it.
  if ([...password].length < minPasswordLength) return 'too_short';
  if (common.has(password.trim().toLowerCase())) return 'too_common';
  return undefined;
}

export const passwordProblemText: Record<PasswordProblem, string> = {
  too_short: `the password must have at least ${minPasswordLength} characters`,
  too_common: 'the password is one of the most commonly used passwords',
};

/** Parses the shipped list: one password a line, `#` comments and blank lines ignored. */
export function parsePasswordList(text: string): Set<string> {
  const set = new Set<string>();
  for (const line of text.split('\n')) {
    const entry = line.trim();
    if (entry && !entry.startsWith('#')) set.add(entry.toLowerCase());
  }
  return set;
}
