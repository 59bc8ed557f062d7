import {
  type AuthenticationResponseJSON,
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
  WebAuthnError,
} from '@simplewebauthn/browser';
import { createProof } from './dpop.ts';
import { apiUrl, json, send, toApiError } from './http.ts';
import { authorized, authorizedJson, reloadMe, signInWith, type Session } from './session.ts';
import type { TokenResponse } from './types.ts';

export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  backedUp: boolean;
  transports: string[];
}

export const passkeysSupported = () => browserSupportsWebAuthn();

/**
 * The browser's own words for a cancelled or refused ceremony (the voter closed the prompt, or the
 * authenticator already holds a passkey for this account), rather than the DOMException's.
 */
export function describePasskeyError(err: unknown): string | undefined {
  if (err instanceof WebAuthnError) {
    if (err.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'This device already has a passkey for your account.';
    // Browsers refuse an IP address as RP id: a development stack's passkeys work at localhost.
    if (err.code === 'ERROR_INVALID_DOMAIN' || err.code === 'ERROR_INVALID_RP_ID') {
      return `Passkeys do not work at this address. Open ${location.protocol}//localhost${location.port ? `:${location.port}` : ''} instead.`;
    }
    if (err.code === 'ERROR_AUTHENTICATOR_MISSING_USER_VERIFICATION_SUPPORT' || err.code === 'ERROR_AUTHENTICATOR_MISSING_DISCOVERABLE_CREDENTIAL_SUPPORT') {
      return 'This authenticator cannot hold a passkey that checks your PIN or fingerprint. Try another one.';
    }
    return 'The passkey prompt was closed or timed out. Try again.';
  }
  if (err instanceof DOMException && (err.name === 'NotAllowedError' || err.name === 'AbortError')) {
    return 'The passkey prompt was closed or timed out. Try again.';
  }
  return undefined;
}

export async function listPasskeys(): Promise<PasskeyInfo[]> {
  return (await authorizedJson<{ passkeys: PasskeyInfo[] }>('GET', '/v1/auth/passkeys')).passkeys;
}

/** Creates a passkey on this device (the browser asks to verify the voter) and registers it. */
export async function addPasskey(name?: string): Promise<PasskeyInfo> {
  const optionsJSON = await authorizedJson<PublicKeyCredentialCreationOptionsJSON>('POST', '/v1/auth/passkeys/registration/options');
  const response = await startRegistration({ optionsJSON });
  const created = await authorizedJson<PasskeyInfo>('POST', '/v1/auth/passkeys/registration/verify', {
    body: { response, ...(name ? { name } : {}) },
  });
  await reloadMe().catch(() => undefined);
  return created;
}

export async function removePasskey(id: string): Promise<void> {
  const res = await authorized('DELETE', `/v1/auth/passkeys/${encodeURIComponent(id)}`);
  if (!res.ok) throw await toApiError(res);
}

/**
 * Usernameless sign-in, step 1: the server's options name no account, the browser offers this
 * site's passkeys and signs the challenge once the voter is verified. Done first, while the click
 * that asked for it still counts as a user gesture.
 */
export async function passkeyAssertion(): Promise<AuthenticationResponseJSON> {
  const options = await send(apiUrl('/v1/auth/passkeys/login/options'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  const optionsJSON = await json<PublicKeyCredentialRequestOptionsJSON>(options);
  return startAuthentication({ optionsJSON });
}

/**
 * Step 2: the assertion goes with a DPoP proof and a solved challenge, like a password login; the
 * token pair is bound to this browser's DPoP key. A refusal for a too-easy challenge leaves the
 * passkey challenge unspent, so the same assertion is sent again with a harder one.
 */
export async function passkeyLogin(response: AuthenticationResponseJSON, altcha: string): Promise<Session> {
  const url = apiUrl('/v1/auth/passkeys/login');
  const tokens = await json<TokenResponse>(
    await send(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', dpop: await createProof('POST', url) },
      body: JSON.stringify({ response, altcha }),
    }),
  );
  return signInWith(tokens);
}
