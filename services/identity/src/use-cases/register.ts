import { AppError } from '@onevote/platform';
import { registrationLevel } from '../domain/challenge-policy.ts';
import { isValidEmail, normaliseEmail } from '../domain/email.ts';
import { passwordProblem, passwordProblemText } from '../domain/password-policy.ts';
import { checkChallenge, type IdentityDeps, timed } from './identity.ts';

export interface RegisterInput {
  email: string;
  password: string;
  altcha: string;
  clientIp: string;
}

/**
 * Cheapest checks first: the network's backstop, input, then the challenge (at the level the
 * network's recent registrations call for), then argon2id and the insert. A registration counts
 * towards its network's volume once its challenge passed, so only paid-for attempts raise it.
 */
export async function registerVoter(deps: IdentityDeps, input: RegisterInput): Promise<{ voterId: string }> {
  const outcome = (o: string) => deps.metrics.registrations.inc({ outcome: o });
  const limited = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (err) {
      outcome('rate_limited');
      throw err;
    }
  };
  const volume = await limited(() => deps.registrations.volume(input.clientIp, { refuseWhenFull: true }));
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
    await checkChallenge(deps, input.altcha, {
      purpose: 'register',
      minLevel: registrationLevel(volume, deps.challengePolicy.registration),
    });
  } catch (err) {
    outcome('challenge_failed');
    throw err;
  }
  await limited(() => deps.registrations.count(input.clientIp));
  const hash = await timed(deps, 'hash', () => deps.hasher.hash(input.password));
  const voterId = await deps.voters.create(email, hash);
  if (!voterId) {
    outcome('email_taken');
    throw new AppError('email_taken');
  }
  outcome('created');
  return { voterId };
}
