import type { AltchaChallenge, ChallengePurpose } from '@onevote/auth';
import { loginLevel, registrationLevel } from '../domain/challenge-policy.ts';
import type { IdentityDeps } from './identity.ts';

export interface ChallengeInput {
  /** Without one, the challenge is good for any purpose (clients that do not say, API.md). */
  purpose?: ChallengePurpose | undefined;
  /** The level the client asks for (after a refusal that named one); it can only raise the level. */
  level?: number | undefined;
  clientIp: string;
}

/**
 * A challenge at the level this client's network calls for, or harder if asked. The level of a
 * login also depends on the account, which is unknown here: the login answers `challengeLevel` if
 * it needs more. A challenge for any purpose gets the strictest level known here.
 */
export async function issueChallenge(deps: IdentityDeps, input: ChallengeInput): Promise<AltchaChallenge> {
  await deps.throttle.countChallenge(input.clientIp);
  const { registration, login } = deps.challengePolicy;
  const forRegister = async () => registrationLevel(
      // A full network gets its 429 when it registers, not here: the challenge may be for a login.
      await deps.registrations.volume(input.clientIp, { refuseWhenFull: false }),
      registration,
    );
  const forLogin = async () => loginLevel(await deps.throttle.networkFailures(input.clientIp), login);
  const required =
    input.purpose === 'register'
      ? await forRegister()
      : input.purpose === 'login'
        ? await forLogin()
        : input.purpose === 'vote'
          ? 0 // vote-api's counters set the vote level; it answers `challengeLevel` when it needs more
          : Math.max(...(await Promise.all([forRegister(), forLogin()])));
  const purpose = input.purpose ?? 'any';
  const level = Math.min(deps.altcha.maxLevel, Math.max(input.level ?? 0, required));
  const challenge = await deps.altcha.create({ purpose, level });
  deps.metrics.challenges.inc({ event: 'issued' });
  deps.metrics.challengeLevels.observe({ purpose }, level);
  return challenge;
}
