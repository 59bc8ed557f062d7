import type { VerifiedProof } from '@onevote/auth';
import { AppError } from '@onevote/platform';
import {
  type AuthenticationResponseJSON,
  generateAuthenticationOptions,
  type PublicKeyCredentialRequestOptionsJSON,
  verifyAuthenticationResponse,
} from '@simplewebauthn/server';
import { passkeyAmr, userHandleText } from '../domain/passkey-user.ts';
import { webauthnFailure } from '../domain/webauthn-failure.ts';
import type { TokenPair } from './access-tokens.ts';
import type { IdentityDeps } from './identity.ts';
import { failedLogin, openLogin } from './login-gate.ts';

/**
 * Request options for a usernameless login: no allowCredentials (the browser offers the passkeys it
 * has for this RP), user verification required. Issuing one stores a challenge, so it is counted
 * like an ALTCHA challenge per client address (429 past the same limit).
 */
export async function passkeyLoginOptions(
  deps: IdentityDeps,
  input: { clientIp: string },
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  await deps.throttle.countChallenge(input.clientIp);
  const options = await generateAuthenticationOptions({
    rpID: deps.webauthn.rpId,
    userVerification: 'required',
    timeout: deps.webauthn.challengeTtlSeconds * 1000,
  });
  await deps.webauthnChallenges.putLogin(options.challenge);
  return options;
}

export interface PasskeyLoginInput {
  response: AuthenticationResponseJSON;
  altcha: string;
  clientIp: string;
  /** Verifies the request's DPoP proof (no `ath`); the tokens are bound to its key. */
  proof: () => Promise<VerifiedProof>;
}

/**
 * The same gates as a password login, in the same order: failure counts (429 while the address or
 * network is locked out) -> DPoP proof -> ALTCHA at the level the failures call for. Then, instead
 * of argon2id, one signature check: the challenge must be one this service issued and not used
 * (taken from Redis, so good once), the credential known, the user handle its owner's, the origin
 * and RP id ours, the UV flag set and the signature counter higher than the stored one (unless
 * both are 0: synced passkeys do not count). Every refusal is `400 invalid_passkey`, counts as a
 * failed login of the credential from this network (so it raises the challenge level and meets the
 * same backstops), and changes no stored state.
 *
 * amr is `hwk`, `user`, `mfa` (RFC 8176): the signature proves possession of a key held by the
 * authenticator (`hwk`), the UV flag says the authenticator tested the user (`user`), and that
 * test is a PIN or biometric unlocking the key, so possession plus knowledge or inherence: a
 * multi-factor login (`mfa`; NIST SP 800-63B §5.1.9, multi-factor cryptographic authenticator).
 * Hence an admin signs in with a passkey alone and needs no TOTP code.
 */
export async function logInWithPasskey(deps: IdentityDeps, input: PasskeyLoginInput): Promise<TokenPair> {
  const outcome = (o: string) => deps.metrics.passkeyLogins.inc({ outcome: o });
  // The throttle's "account" for a passkey login is the credential id (there is no email).
  const account = `passkey:${input.response.id}`;
  const attempt = { account, clientIp: input.clientIp, altcha: input.altcha, proof: input.proof, outcome };
  const jkt = await openLogin(deps, attempt);

  const refuse = (reason: string, cause?: unknown): Promise<AppError> =>
    failedLogin(deps, attempt, new AppError('invalid_passkey', { detail: reason, ...(cause !== undefined ? { cause } : {}) }));

  const challenge = challengeOf(input.response.response.clientDataJSON);
  if (!challenge || !(await deps.webauthnChallenges.takeLogin(challenge))) {
    throw await refuse('the challenge is unknown, expired or already used: ask for new options');
  }
  const passkey = await deps.passkeys.byCredentialId(input.response.id);
  if (!passkey) throw await refuse('this passkey is not registered (it may have been removed)');
  const handle = input.response.response.userHandle;
  if (handle !== undefined && handle !== userHandleText(passkey.voterId)) {
    throw await refuse('the passkey belongs to someone else');
  }

  let info: Awaited<ReturnType<typeof verifyAuthenticationResponse>>['authenticationInfo'];
  try {
    const verified = await verifyAuthenticationResponse({
      response: input.response,
      expectedChallenge: challenge,
      expectedOrigin: deps.webauthn.origins,
      expectedRPID: deps.webauthn.rpId,
      credential: { id: passkey.credentialId, publicKey: passkey.publicKey, counter: passkey.counter, transports: passkey.transports },
      requireUserVerification: true,
    });
    if (!verified.verified) throw new Error('signature not verified');
    info = verified.authenticationInfo;
  } catch (err) {
    const reason = webauthnFailure(err);
    if (/counter/.test(reason)) {
      deps.metrics.passkeys.inc({ event: 'counter_regressed' });
      deps.logger.warn({ voterId: passkey.voterId, passkeyId: passkey.id }, 'passkey signature counter did not increase');
    }
    throw await refuse(reason, err);
  }
  // Compare-and-set on the counter: of two logins racing with one counter value only one passes.
  if (!(await deps.passkeys.used(passkey.id, passkey.counter, info.newCounter, info.credentialBackedUp))) {
    throw await refuse('the signature counter did not increase (a cloned authenticator?)');
  }
  const voter = await deps.voters.byId(passkey.voterId);
  if (!voter) throw await refuse('this passkey is not registered (it may have been removed)');

  await deps.throttle.recordSuccess(account, input.clientIp);
  const amr = [...passkeyAmr];
  const session = await deps.refreshTokens.startFamily(voter.id, jkt, amr);
  outcome('success');
  return deps.tokens.issue(
    { voterId: voter.id, roles: voter.roles, emailVerified: voter.emailVerified, email: voter.email, amr, sessionId: session.familyId },
    jkt,
    session.token,
  );
}

/** The challenge the client data names (base64url), or undefined when it does not parse. */
function challengeOf(clientDataJSON: string): string | undefined {
  try {
    const data = JSON.parse(Buffer.from(clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown };
    return typeof data.challenge === 'string' && /^[A-Za-z0-9_-]{16,128}$/.test(data.challenge) ? data.challenge : undefined;
  } catch {
    return undefined;
  }
}
