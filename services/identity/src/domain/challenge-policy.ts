import { levelForVolume } from '@onevote/auth';

/**
 * How hard the proof-of-work of registering and logging in is: cost that rises with a network's
 * recent volume instead of a cap that locks it out. Each allowance is what one address, network or
 * account gets at level 0 in the window; every doubling past it adds a level (twice the work).
 */

export interface RegistrationPolicy {
  allowancePerIp: number;
  allowancePerSubnet: number;
  maxLevel: number;
}

/** Registrations already counted in the window. */
export interface RegistrationVolume {
  ip: number;
  subnet: number;
}

export function registrationLevel(volume: RegistrationVolume, policy: RegistrationPolicy): number {
  return Math.max(
    levelForVolume(volume.ip, policy.allowancePerIp, policy.maxLevel),
    levelForVolume(volume.subnet, policy.allowancePerSubnet, policy.maxLevel),
  );
}

export interface LoginPolicy {
  /** Failures on one account from one network: a targeted guesser pays, the owner elsewhere does not. */
  allowancePerAccountNetwork: number;
  /** Failures on one account from everywhere (a guesser spread over many networks). */
  allowancePerAccount: number;
  allowancePerIp: number;
  allowancePerSubnet: number;
  maxLevel: number;
}

/** Failed logins in the window; the account's are unknown until the request names it. */
export interface LoginFailures {
  accountNetwork?: number;
  account?: number;
  ip: number;
  subnet: number;
}

export function loginLevel(failures: LoginFailures, policy: LoginPolicy): number {
  const { maxLevel } = policy;
  return Math.max(
    levelForVolume(failures.accountNetwork ?? 0, policy.allowancePerAccountNetwork, maxLevel),
    levelForVolume(failures.account ?? 0, policy.allowancePerAccount, maxLevel),
    levelForVolume(failures.ip, policy.allowancePerIp, maxLevel),
    levelForVolume(failures.subnet, policy.allowancePerSubnet, maxLevel),
  );
}
