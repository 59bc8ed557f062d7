/**
 * Client-side signing for the load generator. jose does this correctly but through WebCrypto's
 * async path; at thousands of proofs a second on a 2-core machine shared with the servers, the
 * synchronous node:crypto path leaves more CPU to the servers being measured. The output is a
 * standard ES256 JWS that the services verify with jose.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';

const b64 = (input: string | Buffer) => Buffer.from(input).toString('base64url');

export interface VoterKey {
  privateKey: KeyObject;
  /** base64url of the proof header, which never changes for a key. */
  proofHeader: string;
  jkt: string;
}

export function newVoterKey(): { key: VoterKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as { crv: string; kty: string; x: string; y: string };
  const publicJwk = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
  const jkt = createHash('sha256').update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })).digest('base64url');
  const proofHeader = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }));
  return { key: { privateKey, proofHeader, jkt } };
}

export function signJws(headerB64: string, payload: object, key: KeyObject): string {
  const input = `${headerB64}.${b64(JSON.stringify(payload))}`;
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** A fresh proof for one request; `ath` is `accessTokenHash(token)`, computed once per voter. */
export function dpopProof(key: VoterKey, htm: string, htu: string, ath: string): string {
  return signJws(key.proofHeader, { jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ath }, key.privateKey);
}

export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
