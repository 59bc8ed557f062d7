import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { invalidProof } from './errors.ts';
import { algorithmSpecs, type CompactJws, decodeCompactJws, isAllowedAlgorithm, type SigningAlgorithm, signatureValid } from './jws.ts';
import type { ReplayStore } from './replay.ts';

export interface DpopOptions {
  /** Seconds a proof's `iat` may differ from now, either way (RFC 9449 §11.1). */
  iatWindowSeconds: number;
  replay: ReplayStore;
  now?: () => number;
}

export interface VerifiedProof {
  /** RFC 7638 thumbprint of the proof's key: what `cnf.jkt` must equal. */
  jkt: string;
  jti: string;
}

/** base64url(SHA-256(token)): the `ath` claim, and the cache key of a verified access token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

interface ProofKey {
  key: KeyObject;
  jkt: string;
}

/*
 * A client signs every request with the same key, so the parsed public key and its thumbprint are
 * cached by the key's public members. This and verifying with node:crypto directly (synchronous,
 * no WebCrypto import per call) took the proof check from ~400 to ~100 µs; see docs/benchmarks.md.
 * The checks are exactly RFC 9449 §4.3's.
 */
const proofKeys = new LRUCache<string, ProofKey>({ max: 100_000 });

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

function proofKey(jwk: Record<string, unknown>, alg: SigningAlgorithm): ProofKey {
  const want = algorithmSpecs[alg];
  if (jwk.kty !== want.kty || jwk.crv !== want.crv) throw invalidProof(`the jwk does not fit ${alg}`);
  if (privateMembers.some((m) => m in jwk)) throw invalidProof('the jwk must be a public key');
  if (typeof jwk.x !== 'string' || (want.kty === 'EC' && typeof jwk.y !== 'string')) throw invalidProof('the jwk is incomplete');
  // RFC 7638: the required members only, in lexicographic order, no whitespace.
  const canonical =
    want.kty === 'EC'
      ? JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y })
      : JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x });
  const cached = proofKeys.get(canonical);
  if (cached) return cached;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: JSON.parse(canonical), format: 'jwk' });
  } catch (err) {
    throw invalidProof('the jwk is not a valid public key', err);
  }
  const entry = { key, jkt: createHash('sha256').update(canonical).digest('base64url') };
  proofKeys.set(canonical, entry);
  return entry;
}

/**
 * Verifies a DPoP proof per RFC 9449 §4.3: type, allow-listed algorithm, signature by the embedded
 * public key (never a private one), method, URL, freshness, `ath` when a token is presented, and
 * single use of `jti` across all replicas. Throws `invalid_dpop_proof`.
 */
export async function verifyDpopProof(
  proof: string,
  request: { method: string; url: string; accessToken?: string },
  options: DpopOptions,
): Promise<VerifiedProof> {
  let jws: CompactJws;
  try {
    jws = decodeCompactJws(proof);
  } catch (err) {
    throw invalidProof('the proof is not a JWT', err);
  }
  const { header, payload } = jws;
  if (header.typ !== 'dpop+jwt') throw invalidProof('typ must be dpop+jwt');
  const alg = header.alg;
  if (!isAllowedAlgorithm(alg)) throw invalidProof(`alg ${String(alg)} is not allowed`);
  if (!header.jwk || typeof header.jwk !== 'object') throw invalidProof('the proof has no jwk');
  if (header.crit !== undefined) throw invalidProof('crit is not supported');
  const { key, jkt } = proofKey(header.jwk as Record<string, unknown>, alg);
  if (!signatureValid(jws, alg, key)) throw invalidProof('the proof signature does not verify');

  const { jti, htm, htu, iat, ath } = payload;
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256) throw invalidProof('jti is missing');
  if (htm !== request.method) throw invalidProof('htm does not match the request method');
  if (typeof htu !== 'string' || normaliseUrl(htu) !== normaliseUrl(request.url)) {
    throw invalidProof('htu does not match the request URL');
  }
  const now = Math.floor((options.now?.() ?? Date.now()) / 1000);
  if (typeof iat !== 'number' || Math.abs(now - iat) > options.iatWindowSeconds) {
    throw invalidProof('iat is outside the accepted window');
  }
  if (request.accessToken !== undefined) {
    if (ath !== tokenHash(request.accessToken)) throw invalidProof('ath does not match the access token');
  }

  // The replay entry must outlive every iat the window still accepts.
  if (!(await options.replay.claim(`dpop:${jkt}:${jti}`, options.iatWindowSeconds * 2 + 1))) {
    throw invalidProof('the proof was already used');
  }
  return { jkt, jti };
}

/** RFC 9449 §4.3: compare without query and fragment; `URL` lower-cases scheme and host, drops default ports. */
export function normaliseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '';
  }
}
