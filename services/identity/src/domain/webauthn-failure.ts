/**
 * A short reason for a refused WebAuthn response, for the problem's `detail`. SimpleWebAuthn's own
 * messages quote the challenge, origin and counter values they compared, so they are never passed
 * on (to the client or the log) as they are.
 */
export function webauthnFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (/counter/i.test(message)) return 'the signature counter did not increase (a cloned authenticator?)';
  if (/user verif/i.test(message) || /not verified/i.test(message)) return 'the authenticator did not verify the user';
  if (/origin/i.test(message)) return 'the response was made for another origin';
  if (/RP ID|rpID/i.test(message)) return 'the response was made for another relying party';
  if (/challenge/i.test(message)) return 'the response is for another challenge';
  if (/signature/i.test(message)) return 'the signature is not valid';
  return 'the response could not be parsed or verified';
}
