import { AppError } from '@onevote/platform';
import { Type } from '@sinclair/typebox';
import { Counter, Histogram, type Registry } from 'prom-client';
import { type DpopOptions, tokenHash, type VerifiedProof, verifyDpopProof } from './dpop.ts';
import { invalidProof, invalidToken } from './errors.ts';
import type { ReplayStore } from './replay.ts';
import type { RevocationList } from './revocations.ts';
import { type AccessTokenClaims, AccessTokenVerifier, parseTrustedIssuers, type Role } from './tokens.ts';

/** Settings every service with protected calls adds to its config schema. */
export const authConfigProperties = {
  /** JSON array of `{ issuer, jwksUrl }`: the only issuers whose tokens are accepted. */
  TRUSTED_ISSUERS: Type.String({ minLength: 2 }),
  /** The `aud` every access token must carry. */
  TOKEN_AUDIENCE: Type.String({ default: 'onevote' }),
  /** How far a DPoP proof's `iat` may be from now, either way (RFC 9449 §11.1). */
  DPOP_IAT_WINDOW_SECONDS: Type.Integer({ minimum: 5, maximum: 600, default: 60 }),
  /** Longest access-token lifetime (`exp - iat`) accepted from any issuer. */
  TOKEN_MAX_LIFETIME_SECONDS: Type.Integer({ minimum: 60, maximum: 86_400, default: 900 }),
  /** Redis key prefix of revoked tokens; identity writes it, every service with admin calls reads it. */
  REVOCATION_KEY_PREFIX: Type.String({ default: 'revoked:', pattern: '^[A-Za-z0-9_:.-]*$' }),
  /**
   * Admin calls need a token whose `amr` has `mfa` (a login with a second factor), or they are 403
   * mfa_required. `auto`: in production (NODE_ENV=production) only, so the seeded development admin
   * may stay password-only.
   */
  REQUIRE_ADMIN_MFA: Type.Union([Type.Literal('auto'), Type.Literal('true'), Type.Literal('false')], { default: 'auto' }),
};

/** Whether admin calls need MFA, from REQUIRE_ADMIN_MFA and NODE_ENV. */
export function adminMfaRequired(config: { REQUIRE_ADMIN_MFA?: 'auto' | 'true' | 'false'; NODE_ENV?: string }): boolean {
  const setting = config.REQUIRE_ADMIN_MFA ?? 'auto';
  return setting === 'true' || (setting === 'auto' && config.NODE_ENV === 'production');
}

/** What a service needs of an HTTP request to authenticate it (Fastify's request has all of it). */
export interface AuthRequest {
  method: string;
  /** Path and query as received. */
  url: string;
  /** Scheme and host as the client used them (forwarded values only from trusted proxies). */
  protocol: string;
  host: string;
  headers: Record<string, string | string[] | undefined>;
  raw: { rawHeaders: string[] };
}

export interface Principal extends AccessTokenClaims {}

const dpopScheme = /^DPoP ([A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+\.[A-Za-z0-9\-_]+)$/;

export interface AuthenticatorOptions extends Omit<DpopOptions, 'replay'> {
  verifier: AccessTokenVerifier;
  replay: ReplayStore;
  /** Checked for every token that carries the admin role (logout and revocation take effect at once). */
  revocations?: RevocationList;
  registry?: Registry;
  /** Admin calls need `mfa` in the token's `amr` (RFC 8176). */
  requireAdminMfa?: boolean;
}

/**
 * Authenticates protected calls: `Authorization: DPoP <token>` plus exactly one `DPoP` proof bound
 * to that token (I6). Throws `invalid_token`, `invalid_dpop_proof` or `forbidden`.
 */
export class Authenticator {
  private readonly outcomes: Counter<'kind' | 'outcome'> | undefined;
  private readonly latency: Histogram<'kind'> | undefined;

  constructor(private readonly options: AuthenticatorOptions) {
    if (options.registry) {
      this.outcomes = new Counter({
        name: 'auth_verifications_total',
        help: 'Access-token and DPoP-proof verifications by outcome',
        labelNames: ['kind', 'outcome'],
        registers: [options.registry],
      });
      this.latency = new Histogram({
        name: 'auth_verification_duration_seconds',
        help: 'Time to verify a token (cached or not) or a proof',
        labelNames: ['kind'],
        buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.01, 0.05],
        registers: [options.registry],
      });
    }
  }

  /** A call that carries an access token: returns who is calling, bound to the proof's key. */
  async authenticate(request: AuthRequest, requirement: { role?: Role } = {}): Promise<Principal> {
    const authorization = request.headers.authorization;
    const match = typeof authorization === 'string' ? dpopScheme.exec(authorization) : null;
    if (!match) {
      this.outcomes?.inc({ kind: 'token', outcome: 'missing' });
      throw invalidToken(
        typeof authorization === 'string' && authorization.startsWith('Bearer ')
          ? 'a DPoP-bound token is required (Authorization: DPoP ...)'
          : 'Authorization: DPoP <token> is required',
      );
    }
    const token = match[1]!;
    const hash = tokenHash(token);
    const claims = await this.measure('token', () => this.options.verifier.verify(token, hash));
    const proof = await this.proof(request, token);
    if (proof.jkt !== claims.jkt) {
      this.outcomes?.inc({ kind: 'proof', outcome: 'wrong_key' });
      throw invalidProof('the proof is signed by a key the token is not bound to');
    }
    if (requirement.role && !claims.roles.includes(requirement.role)) {
      throw new AppError('forbidden', { detail: `the ${requirement.role} role is required` });
    }
    if (requirement.role === 'admin' && this.options.requireAdminMfa && !claims.amr.includes('mfa')) {
      throw new AppError('mfa_required', { detail: 'admin calls need a login with a second factor (an authenticator app)' });
    }
    if (claims.roles.includes('admin')) await this.assertNotRevoked(claims);
    return claims;
  }

  /**
   * Refuses a revoked admin token (`invalid_token`). For long-lived admin views too (a results
   * stream re-checks its token with this). Without a revocation list, nothing is revoked.
   */
  async assertNotRevoked(claims: Principal): Promise<void> {
    if (this.options.revocations && (await this.options.revocations.isRevoked(claims))) {
      this.outcomes?.inc({ kind: 'token', outcome: 'revoked' });
      throw invalidToken('the token was revoked');
    }
  }

  /** A call with a proof but no token yet (login, refresh): returns the key thumbprint to bind to. */
  async proof(request: AuthRequest, accessToken?: string): Promise<VerifiedProof> {
    const proof = singleDpopHeader(request);
    const url = `${request.protocol}://${request.host}${request.url.split('?')[0]}`;
    return this.measure('proof', () =>
      verifyDpopProof(
        proof,
        { method: request.method, url, ...(accessToken !== undefined ? { accessToken } : {}) },
        this.options,
      ),
    );
  }

  private async measure<T>(kind: 'token' | 'proof', work: () => Promise<T>): Promise<T> {
    const end = this.latency?.startTimer({ kind });
    try {
      const result = await work();
      this.outcomes?.inc({ kind, outcome: 'ok' });
      return result;
    } catch (err) {
      this.outcomes?.inc({ kind, outcome: 'refused' });
      throw err;
    } finally {
      end?.();
    }
  }
}

function singleDpopHeader(request: AuthRequest): string {
  // Node joins repeated unknown headers with ", ", so count the raw ones (RFC 9449 §4.3 step 1).
  let count = 0;
  const raw = request.raw.rawHeaders;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.length === 4 && raw[i]!.toLowerCase() === 'dpop') count++;
  const value = request.headers.dpop;
  if (count !== 1 || typeof value !== 'string' || value.length > 8192) {
    throw invalidProof(count > 1 ? 'exactly one DPoP header is allowed' : 'the DPoP header is missing');
  }
  return value;
}

/** Builds the verifier and authenticator from a service's parsed config. */
export function createAuthenticator(
  config: {
    TRUSTED_ISSUERS: string;
    TOKEN_AUDIENCE: string;
    DPOP_IAT_WINDOW_SECONDS: number;
    TOKEN_MAX_LIFETIME_SECONDS?: number;
    REQUIRE_ADMIN_MFA?: 'auto' | 'true' | 'false';
    NODE_ENV?: string;
  },
  deps: { replay: ReplayStore; revocations?: RevocationList; registry?: Registry },
): Authenticator {
  const verifier = new AccessTokenVerifier({
    issuers: parseTrustedIssuers(config.TRUSTED_ISSUERS, { requireHttps: config.NODE_ENV === 'production' }),
    audience: config.TOKEN_AUDIENCE,
    maxLifetimeSeconds: config.TOKEN_MAX_LIFETIME_SECONDS ?? 900,
  });
  return new Authenticator({
    verifier,
    replay: deps.replay,
    iatWindowSeconds: config.DPOP_IAT_WINDOW_SECONDS,
    requireAdminMfa: adminMfaRequired(config),
    ...(deps.revocations ? { revocations: deps.revocations } : {}),
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
}
