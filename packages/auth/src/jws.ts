import { type KeyObject, verify } from 'node:crypto';
import type { signingAlgorithms } from './errors.ts';

export type SigningAlgorithm = (typeof signingAlgorithms)[number];

/** What each allowed algorithm needs of the key and the signature (RFC 7518 §3.4, RFC 8037). */
export const algorithmSpecs = {
  ES256: { kty: 'EC', crv: 'P-256', hash: 'sha256', signatureBytes: 64 },
  ES384: { kty: 'EC', crv: 'P-384', hash: 'sha384', signatureBytes: 96 },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', hash: null, signatureBytes: 64 },
} as const satisfies Record<SigningAlgorithm, unknown>;

export function isAllowedAlgorithm(alg: unknown): alg is SigningAlgorithm {
  return typeof alg === 'string' && Object.hasOwn(algorithmSpecs, alg);
}

export interface CompactJws {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

function decodeJson(part: string): Record<string, unknown> {
  const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
  return value as Record<string, unknown>;
}

/** Splits and decodes a compact JWS; throws on anything malformed. Nothing is trusted yet. */
export function decodeCompactJws(jws: string): CompactJws {
  const parts = jws.split('.');
  if (parts.length !== 3) throw new Error('not a compact JWS');
  const [header, payload, signature] = parts as [string, string, string];
  return {
    header: decodeJson(header),
    payload: decodeJson(payload),
    signingInput: `${header}.${payload}`,
    signature: Buffer.from(signature, 'base64url'),
  };
}

/**
 * Checks a JWS signature with node:crypto, synchronously. jose verifies through WebCrypto, which
 * costs several times more per call; on the vote path (a proof and a fresh token per ballot) that
 * difference is most of the authentication budget (docs/benchmarks.md).
 */
export function signatureValid(jws: CompactJws, alg: SigningAlgorithm, key: KeyObject): boolean {
  const spec = algorithmSpecs[alg];
  if (jws.signature.length !== spec.signatureBytes) return false;
  const input = Buffer.from(jws.signingInput);
  return spec.hash === null
    ? verify(null, input, key, jws.signature)
    : verify(spec.hash, input, { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
}
