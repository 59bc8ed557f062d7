import { generateSecret, generateURI, verify } from 'otplib';

/** RFC 6238 TOTP as authenticator apps use it: SHA-1, 6 digits, 30 s steps. */
export const totpIssuer = 'OneVote';

export function newTotpSecret(): string {
  return generateSecret();
}

/** The `otpauth://` URI an authenticator app reads from a QR code. */
export function totpUri(secret: string, account: string): string {
  return generateURI({ issuer: totpIssuer, label: account, secret });
}

/**
 * Checks a code, allowing one step of clock drift either way. A code is accepted once: steps at or
 * before `afterTimeStep` (the last one used) are refused. Returns the step it matched.
 */
export async function checkTotp(secret: string, code: string, afterTimeStep: number | null): Promise<number | undefined> {
  const result = await verify({
    secret,
    token: code,
    epochTolerance: 30,
    ...(afterTimeStep === null ? {} : { afterTimeStep }),
  });
  // TOTP results carry the step; the union type also covers HOTP's.
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}
