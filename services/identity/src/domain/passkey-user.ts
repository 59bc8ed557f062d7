/**
 * The WebAuthn user handle of a voter: the 16 bytes of their voter id (a UUID). It names no person
 * (WebAuthn §14.6.1: no email or name in the handle), and at login it must match the credential's
 * owner.
 */
export function userHandleOf(voterId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(voterId.replaceAll('-', ''), 'hex'));
}

export function userHandleText(voterId: string): string {
  return Buffer.from(userHandleOf(voterId)).toString('base64url');
}

/** RFC 8176 methods of a user-verified passkey login (see passkey-login.ts for why). */
export const passkeyAmr = ['hwk', 'user', 'mfa'] as const;
