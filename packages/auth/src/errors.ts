import { AppError } from '@onevote/platform';

// RFC 9449 §7.1: a DPoP-protected resource answers 401 with a `WWW-Authenticate: DPoP` challenge.
const challenge = (error: string, algs: readonly string[]) =>
  `DPoP error="${error}", algs="${algs.join(' ')}"`;

export const signingAlgorithms = ['ES256', 'ES384', 'EdDSA'] as const;

export function invalidToken(detail: string, cause?: unknown): AppError {
  return new AppError('invalid_token', {
    detail,
    cause,
    headers: { 'www-authenticate': challenge('invalid_token', signingAlgorithms) },
  });
}

export function invalidProof(detail: string, cause?: unknown): AppError {
  return new AppError('invalid_dpop_proof', {
    detail,
    cause,
    headers: { 'www-authenticate': challenge('invalid_dpop_proof', signingAlgorithms) },
  });
}
