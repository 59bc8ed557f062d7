import { AppError } from '@onevote/platform';
import { isValidEmail, normaliseEmail } from '../domain/email.ts';
import { passwordProblem, passwordProblemText } from '../domain/password-policy.ts';
import { checkChallenge, type IdentityDeps, timed } from './identity.ts';

export interface RegisterInput {
  email: string;
  password: string;
  altcha: string;
  clientIp: string;
}

/** Cheapest checks first: address limit, input, then the challenge, then argon2id and the insert. */
export async function registerVoter(deps: IdentityDeps, input: RegisterInput): Promise<{ voterId: string }> {
  const outcome = (o: string) => deps.metrics.registrations.inc({ outcome: o });
  try {
    await deps.throttle.countRegistration(input.clientIp);
  } catch (err) {
    outcome('rate_limited');
    throw err;
  }
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) {
    outcome('invalid_request');
    throw new AppError('invalid_request', { detail: 'email is not a valid address' });
  }
  const problem = passwordProblem(input.password, deps.commonPasswords);
  if (problem) {
    outcome('weak_password');
    throw new AppError('weak_password', { detail: passwordProblemText[problem] });
  }
  try {
    await checkChallenge(deps, input.altcha);
  } catch (err) {
    outcome('challenge_failed');
    throw err;
  }
  const hash = await timed(deps, 'hash', () => deps.hasher.hash(input.password));
  const voterId = await deps.voters.create(email, hash);
  if (!voterId) {
    outcome('email_taken');
    throw new AppError('email_taken');
  }
  outcome('created');
  return { voterId };
}
