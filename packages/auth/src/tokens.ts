import { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, customFetch, type FlattenedJWSInput, type JWSHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { emailHashPattern } from './email-hash.ts';
import { invalidToken } from './errors.ts';
import { type CompactJws, decodeCompactJws, isAllowedAlgorithm, type SigningAlgorithm, signatureValid } from './jws.ts';

export type Role = 'voter' | 'admin';

/**
 * One issuer the services trust, and for what: tokens of an issuer grant only the roles it is
 * trusted for, and its subjects become voter ids under its own prefix, so two issuers can never
 * name the same voter (one `sub` in two namespaces is two people).
 */
export interface TrustedIssuer {
  issuer: string;
  jwksUrl: string;
  /** Roles its tokens may carry; others are dropped (default: voter only). */
  roles: Role[];
  /** Prepended to `sub` to make the voter id (at most one issuer may have none). */
  voterPrefix: string;
}

export interface AccessTokenClaims {
  /** The voter id: the issuer's voter prefix and `sub`. */
  voterId: string;
  /** `sub` as the issuer wrote it (revocations are keyed by issuer and subject). */
  subject: string;
  roles: Role[];
  /** Thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  jkt: string;
  issuer: string;
  issuedAt: number;
  expiresAt: number;
  tokenId: string;
  /** The issuer vouches that the voter's email address is verified (`email_verified: true`, OIDC Core §5.1). */
  emailVerified: boolean;
  /**
   * The keyed hash of the verified address (`email_hash`, see email-hash.ts), which voter rolls are
   * matched on; only with `emailVerified`.
   */
  emailHash?: string;
  /** How the login was proved (RFC 8176 `amr`): `pwd`, and `otp` + `mfa` with a second factor. */
  amr: string[];
  /** The issuer's session (`sid`, OIDC), when it says. */
  sessionId?: string;
}

export interface AccessTokenVerifierOptions {
  issuers: TrustedIssuer[];
  audience: string;
  /** Longest `exp - iat` accepted: a token minted to live for days is refused (default 900 s). */
  maxLifetimeSeconds?: number;
  /** Seconds of clock skew tolerated on `exp`/`iat`. */
  leewaySeconds?: number;
  /** Verified tokens remembered (by hash) until they expire. */
  cacheSize?: number;
  now?: () => number;
  /** Minimum time between JWKS fetches, so random `kid`s cannot make us hammer the issuer. */
  jwksCooldownMs?: number;
  /** For tests: observe JWKS fetches. */
  fetch?: typeof fetch;
}

/**
 * Verifies access tokens from an allow-list of issuers against each issuer's JWKS (cached; fetched
 * again once when an unknown `kid` appears), with an algorithm allow-list, audience and expiry.
 * Verified tokens are cached by hash until they expire, so the hot path pays for a signature check
 * once per token rather than once per request.
 */
export class AccessTokenVerifier {
  private readonly jwks = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  private readonly policies = new Map<string, TrustedIssuer>();
  private readonly cache: LRUCache<string, AccessTokenClaims>;
  private readonly leeway: number;
  private readonly now: () => number;
  readonly stats = { cacheHits: 0, verified: 0 };

  constructor(private readonly options: AccessTokenVerifierOptions) {
    this.leeway = options.leewaySeconds ?? 5;
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({ max: options.cacheSize ?? 200_000 });
    for (const trusted of options.issuers) {
      const { issuer, jwksUrl } = trusted;
      this.policies.set(issuer, trusted);
      this.jwks.set(
        issuer,
        createRemoteJWKSet(new URL(jwksUrl), {
          cooldownDuration: options.jwksCooldownMs ?? 30_000,
          cacheMaxAge: 10 * 60_000,
          timeoutDuration: 2000,
          ...(options.fetch ? { [customFetch]: options.fetch } : {}),
        }),
      );
    }
  }

  /** `hash` is `tokenHash(token)`, which the DPoP check computes anyway for `ath`. */
  async verify(token: string, hash: string): Promise<AccessTokenClaims> {
    const cached = this.cache.get(hash);
    const nowSeconds = this.now() / 1000;
    if (cached) {
      if (cached.expiresAt + this.leeway > nowSeconds) {
        this.stats.cacheHits++;
        return cached;
      }
      this.cache.delete(hash);
    }

    let jws: CompactJws;
    try {
      jws = decodeCompactJws(token);
    } catch (err) {
      throw invalidToken('the token is not a JWT', err);
    }
    const { header, payload } = jws;
    const alg = header.alg;
    if (!isAllowedAlgorithm(alg)) throw invalidToken(`alg ${String(alg)} is not allowed`);
    if (header.crit !== undefined) throw invalidToken('crit is not supported');
    // RFC 9068 §4: an access token says what it is, so an ID token or a DPoP proof of the same
    // issuer cannot be passed off as one.
    if (header.typ !== 'at+jwt' && header.typ !== 'application/at+jwt') throw invalidToken('typ must be at+jwt');
    // The issuer claim only picks whose keys to try; the signature check below is what trusts it.
    const issuer = typeof payload.iss === 'string' ? payload.iss : undefined;
    const keys = issuer ? this.jwks.get(issuer) : undefined;
    const policy = issuer ? this.policies.get(issuer) : undefined;
    if (!issuer || !keys || !policy) throw invalidToken('the token issuer is not trusted');
    let key: KeyObject;
    try {
      // jose picks the key by kid and algorithm from the cached JWKS, refetching once (after its
      // cooldown) when the kid is unknown.
      key = keyObjectFor(await keys(header as JWSHeaderParameters, { payload: '', signature: '' } as FlattenedJWSInput));
    } catch (err) {
      throw invalidToken('no key of the issuer verifies this token', err);
    }
    if (!keyFits(key, alg) || !signatureValid(jws, alg, key)) throw invalidToken('the token does not verify');
    checkClaims(payload, { audience: this.options.audience, now: nowSeconds, leeway: this.leeway });
    if (Number(payload.exp) - Number(payload.iat) > (this.options.maxLifetimeSeconds ?? 900)) {
      throw invalidToken('the token lives longer than this service accepts');
    }

    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    if (!cnf || typeof cnf.jkt !== 'string') throw invalidToken('the token is not bound to a DPoP key');
    // An issuer grants only what it is trusted for: an outside IdP's "admin" claim is not ours.
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((r): r is Role => (r === 'voter' || r === 'admin') && policy.roles.includes(r))
      : [];
    const claims: AccessTokenClaims = {
      voterId: `${policy.voterPrefix}${String(payload.sub)}`,
      subject: String(payload.sub),
      roles,
      jkt: cnf.jkt,
      issuer,
      issuedAt: Number(payload.iat),
      expiresAt: Number(payload.exp),
      tokenId: String(payload.jti),
      // Exactly `true`: a string "true" or a 1 from a sloppy issuer does not verify anyone.
      emailVerified: payload.email_verified === true,
      ...(payload.email_verified === true && typeof payload.email_hash === 'string' && emailHashPattern.test(payload.email_hash)
        ? { emailHash: payload.email_hash }
        : {}),
      amr: Array.isArray(payload.amr) ? payload.amr.filter((m): m is string => typeof m === 'string') : [],
      ...(typeof payload.sid === 'string' ? { sessionId: payload.sid } : {}),
    };
    this.stats.verified++;
    this.cache.set(hash, claims, { ttl: Math.max(1, (claims.expiresAt + this.leeway - nowSeconds) * 1000) });
    return claims;
  }
}

// jose resolves JWKS keys as WebCrypto CryptoKeys; node:crypto verifies with KeyObjects. Converted
// once per key.
const keyObjects = new WeakMap<object, KeyObject>();
function keyObjectFor(key: unknown): KeyObject {
  if (key instanceof KeyObject) return key;
  let converted = keyObjects.get(key as object);
  if (!converted) {
    converted = KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
    keyObjects.set(key as object, converted);
  }
  return converted;
}

const curves: Record<SigningAlgorithm, string> = { ES256: 'prime256v1', ES384: 'secp384r1', EdDSA: 'ed25519' };

function keyFits(key: KeyObject, alg: SigningAlgorithm): boolean {
  if (key.type !== 'public') return false;
  if (alg === 'EdDSA') return key.asymmetricKeyType === 'ed25519';
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === curves[alg];
}

/** RFC 7519 §4.1 checks for an access token, with `leeway` seconds of clock skew. */
function checkClaims(payload: Record<string, unknown>, o: { audience: string; now: number; leeway: number }) {
  const { aud, exp, iat, nbf, sub, jti } = payload;
  if (!(aud === o.audience || (Array.isArray(aud) && aud.includes(o.audience)))) {
    throw invalidToken('the token is for another audience');
  }
  if (typeof exp !== 'number' || exp + o.leeway <= o.now) throw invalidToken('the token has expired');
  if (typeof iat !== 'number' || iat - o.leeway > o.now) throw invalidToken('the token is issued in the future');
  if (nbf !== undefined && (typeof nbf !== 'number' || nbf - o.leeway > o.now)) throw invalidToken('the token is not valid yet');
  if (typeof sub !== 'string' || sub.length === 0 || typeof jti !== 'string' || jti.length === 0) {
    throw invalidToken('the token lacks sub or jti');
  }
}

/**
 * Parses `TRUSTED_ISSUERS`: a JSON array of `{ issuer, jwksUrl, roles?, voterPrefix? }`. With
 * `requireHttps` (outside development) every JWKS must be fetched over https: keys fetched over
 * plain HTTP could be swapped on the way.
 */
export function parseTrustedIssuers(json: string, options: { requireHttps?: boolean } = {}): TrustedIssuer[] {
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new Error('TRUSTED_ISSUERS must be a non-empty JSON array');
  const issuers = parsed.map((entry): TrustedIssuer => {
    const { issuer, jwksUrl, roles = ['voter'], voterPrefix = '' } = (entry ?? {}) as Record<string, unknown>;
    if (typeof issuer !== 'string' || typeof jwksUrl !== 'string') {
      throw new Error('each TRUSTED_ISSUERS entry needs issuer and jwksUrl');
    }
    new URL(jwksUrl);
    if (!Array.isArray(roles) || !roles.every((r) => r === 'voter' || r === 'admin')) {
      throw new Error(`TRUSTED_ISSUERS ${issuer}: roles must be a list of "voter" and "admin"`);
    }
    if (typeof voterPrefix !== 'string' || !/^[A-Za-z0-9._:-]{0,40}$/.test(voterPrefix)) {
      throw new Error(`TRUSTED_ISSUERS ${issuer}: voterPrefix must be up to 40 of A-Z a-z 0-9 . _ : -`);
    }
    if (options.requireHttps && new URL(jwksUrl).protocol !== 'https:') {
      throw new Error(`TRUSTED_ISSUERS ${issuer}: jwksUrl must be https outside development`);
    }
    return { issuer, jwksUrl, roles: roles as Role[], voterPrefix };
  });
  const prefixes = issuers.map((i) => i.voterPrefix);
  if (new Set(prefixes).size !== prefixes.length) {
    throw new Error('TRUSTED_ISSUERS: each issuer needs its own voterPrefix (at most one may have none)');
  }
  return issuers;
}
