import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';

/** A tree head as served (API.md, `GET …/log/head`). */
export interface SignedTreeHead {
  electionId: string;
  treeSize: number;
  rootHash: string;
  timestamp: string;
  signature: string;
  keyId: string;
  final: boolean;
}

/** What a head's signature covers: `onevote-tree-head:v1\n<electionId>\n<treeSize>\n<rootHash>\n<timestamp>`. */
export function treeHeadMessage(head: Pick<SignedTreeHead, 'electionId' | 'treeSize' | 'rootHash' | 'timestamp'>): Buffer {
  return Buffer.from(`onevote-tree-head:v1\n${head.electionId}\n${head.treeSize}\n${head.rootHash}\n${head.timestamp}`, 'utf8');
}

/** An ES256 tree-head signing key: its private key and public JWK. */
export interface HeadKey {
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

export function newHeadKey(kid: string): { key: HeadKey; privatePem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    key: { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } },
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

export function headKeyFrom(kid: string, privatePem: string): HeadKey {
  const privateKey = createPrivateKey(privatePem);
  const publicKey = createPublicKey(privateKey);
  return { kid, privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' } };
}

/** ES256 as JWS writes it: the 64-byte r‖s (IEEE P1363), base64url. */
export function signHead(
  key: HeadKey,
  head: Pick<SignedTreeHead, 'electionId' | 'treeSize' | 'rootHash' | 'timestamp' | 'final'>,
): SignedTreeHead {
  const signature = sign('sha256', treeHeadMessage(head), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return { ...head, signature: signature.toString('base64url'), keyId: key.kid };
}

export function headSignatureValid(publicKey: KeyObject, head: SignedTreeHead): boolean {
  return verify('sha256', treeHeadMessage(head), { key: publicKey, dsaEncoding: 'ieee-p1363' }, Buffer.from(head.signature, 'base64url'));
}
