import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, type JWK, jwtVerify } from 'jose';
import { invalidProof, signingAlgorithms } from './errors.ts';
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

const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

/** base64url(SHA-256(token)): the `ath` claim, and the cache key of a verified access token. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
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
  let jwk: JWK;
  try {
    const header = decodeProtectedHeader(proof);
    if (header.typ !== 'dpop+jwt') throw invalidProof('typ must be dpop+jwt');
    if (!signingAlgorithms.includes(header.alg as (typeof signingAlgorithms)[number])) {
      throw invalidProof(`alg ${String(header.alg)} is not allowed`);
    }
    if (!header.jwk || typeof header.jwk !== 'object') throw invalidProof('the proof has no jwk');
    jwk = header.jwk as JWK;
    if (privateMembers.some((m) => m in jwk)) throw invalidProof('the jwk must be a public key');
  } catch (err) {
    if (err instanceof Error && err.name === 'AppError') throw err;
    throw invalidProof('the proof is not a JWT', err);
  }

  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(proof, EmbeddedJWK, {
      typ: 'dpop+jwt',
      algorithms: [...signingAlgorithms],
    }));
  } catch (err) {
    throw invalidProof('the proof signature does not verify', err);
  }

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

  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
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
