import type { PasswordHasher } from '../adapters/password-hasher.ts';
import type { VotersRepository } from '../adapters/voters.repository.ts';
import { isValidEmail, normaliseEmail } from '../domain/email.ts';
import { passwordProblem, passwordProblemText } from '../domain/password-policy.ts';

export class AdminError extends Error {
  override name = 'AdminError';
}

/**
 * The stack's seed step: the admin account exists and has the admin role. Idempotent; an existing
 * account keeps its password (the seed never resets one an operator changed).
 */
export async function seedAdmin(
  deps: { voters: VotersRepository; hasher: PasswordHasher; commonPasswords: ReadonlySet<string> },
  input: { email: string; password: string },
): Promise<'created' | 'exists'> {
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) throw new AdminError('ONEVOTE_ADMIN_EMAIL is not a valid address');
  if (await deps.voters.byEmail(email)) {
    await deps.voters.setRole(email, 'admin', true);
    return 'exists';
  }
  const problem = passwordProblem(input.password, deps.commonPasswords);
  if (problem) throw new AdminError(`ONEVOTE_ADMIN_PASSWORD: ${passwordProblemText[problem]}`);
  const created = await deps.voters.create(email, await deps.hasher.hash(input.password), ['voter', 'admin']);
  // Created meanwhile by a concurrent seed: make sure of the role.
  if (!created) await deps.voters.setRole(email, 'admin', true);
  return created ? 'created' : 'exists';
}

/** Grants or takes the admin role; returns the voter's id. */
export async function setAdmin(voters: VotersRepository, rawEmail: string, granted: boolean): Promise<string> {
  const email = normaliseEmail(rawEmail);
  if (!(await voters.setRole(email, 'admin', granted))) throw new AdminError('no voter has that email');
  return (await voters.byEmail(email))!.id;
}
