// Signed tree heads (API.md "Audit log"): the signature is over the UTF-8 of
// `onevote-tree-head:v1\n<electionId>\n<treeSize>\n<rootHash>\n<timestamp>`, ES256 as the 64-byte
// r‖s of JWS (which is also WebCrypto's ECDSA format) or Ed25519.
import { fromBase64Url, utf8Bytes } from './encoding.ts';

/** `GET /v1/elections/:id/log/head`. */
export interface TreeHead {
  electionId: string;
  treeSize: number;
  /** base64url root hash */
  rootHash: string;
  /** RFC 3339, signed exactly as served */
  timestamp: string;
  /** base64url signature */
  signature: string;
  keyId: string;
  final: boolean;
}

/** A JWK of `GET /v1/audit/keys`. */
export interface TreeHeadJwk {
  kid: string;
  alg: string;
  kty: string;
  crv?: string;
  x?: string;
  y?: string;
  [member: string]: unknown;
}

export type TreeHeadAlgorithm = 'ES256' | 'Ed25519';

export type TreeHeadSignatureCheck =
  | { ok: true; keyId: string; algorithm: TreeHeadAlgorithm }
  | { ok: false; reason: 'unknown_key' | 'unsupported_key' | 'bad_signature'; message: string };

const signatureLength = 64;

/** The bytes a tree head's signature covers. */
export function treeHeadMessage(head: Pick<TreeHead, 'electionId' | 'treeSize' | 'rootHash' | 'timestamp'>): Uint8Array<ArrayBuffer> {
  return utf8Bytes(`onevote-tree-head:v1\n${head.electionId}\n${head.treeSize}\n${head.rootHash}\n${head.timestamp}`);
}

/** The algorithm a key is for, or why it is refused. Only ES256 (P-256) and Ed25519 keys are accepted. */
function treeHeadKeyAlgorithm(jwk: TreeHeadJwk): { algorithm: TreeHeadAlgorithm } | { refused: string } {
  if (jwk.alg === 'ES256') {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
      return { refused: `key ${jwk.kid} says ES256 but is not a P-256 public key` };
    }
    return { algorithm: 'ES256' };
  }
  // RFC 8037 names Ed25519 JWS "EdDSA"; RFC 9864's fully specified name is "Ed25519".
  if (jwk.alg === 'EdDSA' || jwk.alg === 'Ed25519') {
    if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
      return { refused: `key ${jwk.kid} says ${jwk.alg} but is not an Ed25519 public key` };
    }
    return { algorithm: 'Ed25519' };
  }
  return { refused: `key ${jwk.kid} uses alg ${String(jwk.alg)}; only ES256 and Ed25519 tree-head keys are accepted` };
}

/** Imports a tree-head key for verification; throws when it is refused or unusable. */
export async function importTreeHeadKey(jwk: TreeHeadJwk): Promise<{ algorithm: TreeHeadAlgorithm; key: CryptoKey }> {
  const kind = treeHeadKeyAlgorithm(jwk);
  if ('refused' in kind) throw new Error(kind.refused);
  // Only the public members: a served `d` must not make this a private key, and `key_ops`/`ext`
  // members must not make the import fail.
  if (kind.algorithm === 'ES256') {
    const key = await crypto.subtle.importKey(
      'jwk',
      { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! },
      { name: 'ECDSA', namedCurve: 'P-256' },
      false,
      ['verify'],
    );
    return { algorithm: 'ES256', key };
  }
  const key = await crypto.subtle.importKey('jwk', { kty: 'OKP', crv: 'Ed25519', x: jwk.x! }, { name: 'Ed25519' }, false, [
    'verify',
  ]);
  return { algorithm: 'Ed25519', key };
}

/**
 * Checks a head's signature with the key its `keyId` names among `keys` (current and retired keys are
 * alike here: a head stays valid after its key is rotated out, as long as the key is still listed).
 */
export async function verifyTreeHeadSignature(head: TreeHead, keys: readonly TreeHeadJwk[]): Promise<TreeHeadSignatureCheck> {
  const jwk = keys.find((key) => key.kid === head.keyId);
  if (!jwk) {
    return { ok: false, reason: 'unknown_key', message: `the head is signed by key ${head.keyId}, which /v1/audit/keys does not list` };
  }
  let imported: { algorithm: TreeHeadAlgorithm; key: CryptoKey };
  try {
    imported = await importTreeHeadKey(jwk);
  } catch (error) {
    return { ok: false, reason: 'unsupported_key', message: `the head's key cannot be used: ${(error as Error).message}` };
  }
  const signature = fromBase64Url(head.signature);
  if (!signature || signature.length !== signatureLength) {
    return { ok: false, reason: 'bad_signature', message: `the head's signature is not a 64-byte base64url value` };
  }
  const algorithm = imported.algorithm === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'Ed25519' };
  const valid = await crypto.subtle.verify(algorithm, imported.key, signature, treeHeadMessage(head));
  if (!valid) {
    return { ok: false, reason: 'bad_signature', message: `the head's signature does not verify with key ${jwk.kid} (${imported.algorithm})` };
  }
  return { ok: true, keyId: jwk.kid, algorithm: imported.algorithm };
}
