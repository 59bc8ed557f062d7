/**
 * Client-side signing for the load generator. jose does this correctly but through WebCrypto's
 * async path; at thousands of proofs a second on a 2-core machine shared with the servers, the
 * synchronous node:crypto path leaves more CPU to the servers being measured. The output is a
 * standard ES256 JWS, verified by the services like any other.
 */
import { createHash, createPrivateKey, generateKeyPairSync, type JsonWebKey as Jwk, type KeyObject, randomUUID, sign } from 'node:crypto';

const b64 = (input: string | Buffer) => Buffer.from(input).toString('base64url');

export interface VoterKey {
  privateKey: KeyObject;
  /** base64url of the proof header, which never changes for a key. */
  proofHeader: string;
  jkt: string;
}

/** Node supports `format: 'jwk'` encodings here; @types/node does not declare them. */
type GenerateJwkPair = (type: 'ec', options: object) => { publicKey: Jwk; privateKey: Jwk };

export function newVoterKey(): { key: VoterKey } {
  // JWKs encoded by the key generation itself, and a private KeyObject of our own. Exporting the
  // generated KeyObject instead deadlocked Node 20 now and then: the export holds the key's mutex
  // while allocating, and a GC in that window runs the finished generation job's destructor, which
  // takes the same mutex.
  const generated = (generateKeyPairSync as unknown as GenerateJwkPair)('ec', {
    namedCurve: 'P-256',
    publicKeyEncoding: { format: 'jwk' },
    privateKeyEncoding: { format: 'jwk' },
  });
  const { x, y } = generated.publicKey as { x: string; y: string };
  const publicJwk = { kty: 'EC', crv: 'P-256', x, y };
  // RFC 7638 thumbprint: the required members in lexicographic order, no whitespace.
  const jkt = createHash('sha256').update(JSON.stringify({ crv: 'P-256', kty: 'EC', x, y })).digest('base64url');
  const proofHeader = b64(JSON.stringify({ typ: 'dpop+jwt', alg: 'ES256', jwk: publicJwk }));
  const privateKey = createPrivateKey({ key: generated.privateKey, format: 'jwk' });
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
