import type { Principal } from '@onevote/auth';
import { invalidToken } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import {
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type RegistrationResponseJSON,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import { consumeOr429 } from '../adapters/counters.ts';
import type { StoredPasskey } from '../adapters/passkeys.repository.ts';
import { userHandleOf } from '../domain/passkey-user.ts';
import { webauthnFailure } from '../domain/webauthn-failure.ts';
import type { IdentityDeps } from './identity.ts';

/** A voter keeps at most this many passkeys (a phone, a laptop, two security keys... and spares). */
export const maxPasskeysPerVoter = 20;

export interface PasskeyView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
  transports: string[];
}

export const passkeyView = (p: StoredPasskey): PasskeyView => ({
  id: p.id,
  name: p.name,
  createdAt: p.createdAt.toISOString(),
  lastUsedAt: p.lastUsedAt?.toISOString() ?? null,
  backedUp: p.backedUp,
  transports: p.transports,
});

/**
 * Creation options for a new passkey of the caller: a discoverable credential (so a login needs no
 * email) with user verification required, none of the caller's passkeys again (excludeCredentials),
 * no attestation (a voter's choice of authenticator is theirs; OneVote trusts none more than another).
 */
export async function passkeyRegistrationOptions(
  deps: IdentityDeps,
  principal: Principal,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  await consumeOr429(deps.passkeyCeremonies, principal.voterId, 'too many passkey set-ups started; wait a few minutes');
  const voter = await deps.voters.byId(principal.voterId);
  if (!voter) throw invalidToken('the voter no longer exists');
  const existing = await deps.passkeys.ofVoter(voter.id);
  if (existing.length >= maxPasskeysPerVoter) {
    throw new AppError('conflict', { detail: `at most ${maxPasskeysPerVoter} passkeys: remove one first` });
  }
  const options = await generateRegistrationOptions({
    rpName: deps.webauthn.rpName,
    rpID: deps.webauthn.rpId,
    userName: voter.email,
    userDisplayName: voter.email,
    userID: userHandleOf(voter.id),
    timeout: deps.webauthn.challengeTtlSeconds * 1000,
    attestationType: 'none',
    excludeCredentials: existing.map((p) => ({ id: p.credentialId, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
  });
  await deps.webauthnChallenges.putRegistration(voter.id, options.challenge);
  return options;
}

/**
 * Checks the attestation against the caller's pending challenge (taken, so good once), the origin,
 * the RP id and the UV flag, then keeps the credential's public key. Anything wrong is
 * `400 invalid_passkey` and nothing is stored; the challenge is spent either way, so a failed
 * attempt cannot be retried with it.
 */
export async function verifyPasskeyRegistration(
  deps: IdentityDeps,
  principal: Principal,
  input: { response: RegistrationResponseJSON; name?: string | undefined },
): Promise<PasskeyView> {
  const event = (e: string) => deps.metrics.passkeys.inc({ event: e });
  const expectedChallenge = await deps.webauthnChallenges.takeRegistration(principal.voterId);
  if (!expectedChallenge) {
    event('registration_failed');
    throw new AppError('invalid_passkey', { detail: 'no passkey set-up is under way (it expired or was used): start again' });
  }
  let verified: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response,
      expectedChallenge,
      expectedOrigin: deps.webauthn.origins,
      expectedRPID: deps.webauthn.rpId,
      requireUserVerification: true,
    });
  } catch (err) {
    event('registration_failed');
    throw new AppError('invalid_passkey', { detail: `the passkey was not accepted: ${webauthnFailure(err)}`, cause: err });
  }
  if (!verified.verified) {
    event('registration_failed');
    throw new AppError('invalid_passkey', { detail: 'the passkey was not accepted' });
  }
  const info = verified.registrationInfo;
  const count = (await deps.passkeys.ofVoter(principal.voterId)).length;
  const stored = await deps.passkeys.add({
    voterId: principal.voterId,
    credentialId: info.credential.id,
    publicKey: info.credential.publicKey,
    counter: info.credential.counter,
    transports: info.credential.transports ?? input.response.response.transports ?? [],
    name: input.name?.trim() || `Passkey ${count + 1}`,
    aaguid: info.aaguid,
    backedUp: info.credentialBackedUp,
  });
  if (!stored) {
    event('registration_failed');
    throw new AppError('conflict', { detail: 'this passkey is registered already' });
  }
  event('registered');
  deps.logger.info({ voterId: principal.voterId, passkeyId: stored.id }, 'passkey registered');
  return passkeyView(stored);
}

export async function listPasskeys(deps: IdentityDeps, principal: Principal): Promise<{ passkeys: PasskeyView[] }> {
  return { passkeys: (await deps.passkeys.ofVoter(principal.voterId)).map(passkeyView) };
}

export async function removePasskey(deps: IdentityDeps, principal: Principal, id: string): Promise<void> {
  if (!(await deps.passkeys.remove(principal.voterId, id))) {
    throw new AppError('not_found', { detail: 'no such passkey of yours' });
  }
  deps.metrics.passkeys.inc({ event: 'removed' });
  deps.logger.info({ voterId: principal.voterId, passkeyId: id }, 'passkey removed');
}
