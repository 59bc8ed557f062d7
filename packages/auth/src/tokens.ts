import { createRemoteJWKSet, customFetch, type JWTPayload, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { invalidToken, signingAlgorithms } from './errors.ts';

export interface TrustedIssuer {
  issuer: string;
  jwksUrl: string;
}

export type Role = 'voter' | 'admin';

export interface AccessTokenClaims {
  /** The voter id (`sub`). */
  voterId: string;
  roles: Role[];
  /** Thumbprint of the DPoP key the token is bound to (`cnf.jkt`). */
  jkt: string;
  issuer: string;
  issuedAt: number;
  expiresAt: number;
  tokenId: string;
}

export interface AccessTokenVerifierOptions {
  issuers: TrustedIssuer[];
  audience: string;
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
  private readonly cache: LRUCache<string, AccessTokenClaims>;
  private readonly leeway: number;
  private readonly now: () => number;
  readonly stats = { cacheHits: 0, verified: 0 };

  constructor(private readonly options: AccessTokenVerifierOptions) {
    this.leeway = options.leewaySeconds ?? 5;
    this.now = options.now ?? Date.now;
    this.cache = new LRUCache({ max: options.cacheSize ?? 200_000 });
    for (const { issuer, jwksUrl } of options.issuers) {
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

    const issuer = unverifiedIssuer(token);
    const keys = issuer ? this.jwks.get(issuer) : undefined;
    if (!issuer || !keys) throw invalidToken('the token issuer is not trusted');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer,
        audience: this.options.audience,
        algorithms: [...signingAlgorithms],
        clockTolerance: this.leeway,
        currentDate: new Date(this.now()),
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (err) {
      const code = (err as { code?: string }).code;
      throw invalidToken(
        code === 'ERR_JWT_EXPIRED' ? 'the token has expired' : 'the token does not verify',
        err,
      );
    }
    const cnf = payload.cnf as { jkt?: unknown } | undefined;
    if (!cnf || typeof cnf.jkt !== 'string') throw invalidToken('the token is not bound to a DPoP key');
    const roles = Array.isArray(payload.roles)
      ? payload.roles.filter((r): r is Role => r === 'voter' || r === 'admin')
      : [];
    const claims: AccessTokenClaims = {
      voterId: String(payload.sub),
      roles,
      jkt: cnf.jkt,
      issuer,
      issuedAt: Number(payload.iat),
      expiresAt: Number(payload.exp),
      tokenId: String(payload.jti),
    };
    this.stats.verified++;
    this.cache.set(hash, claims, { ttl: Math.max(1, (claims.expiresAt + this.leeway - nowSeconds) * 1000) });
    return claims;
  }
}

function unverifiedIssuer(token: string): string | undefined {
  // Only to pick which issuer's keys to verify with; the claim is verified right after.
  const part = token.split('.')[1];
  if (!part || part.length > 8192) return undefined;
  try {
    const iss = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/** Parses `TRUSTED_ISSUERS`: a JSON array of `{ issuer, jwksUrl }`. */
export function parseTrustedIssuers(json: string): TrustedIssuer[] {
  const parsed = JSON.parse(json) as unknown;
  if (!Array.isArray(parsed) || parsed.length === 0)
    throw new Error('TRUSTED_ISSUERS must be a non-empty JSON array');
  return parsed.map((entry) => {
    const { issuer, jwksUrl } = (entry ?? {}) as Record<string, unknown>;
    if (typeof issuer !== 'string' || typeof jwksUrl !== 'string') {
      throw new Error('each TRUSTED_ISSUERS entry needs issuer and jwksUrl');
    }
    new URL(jwksUrl);
    return { issuer, jwksUrl };
  });
}
