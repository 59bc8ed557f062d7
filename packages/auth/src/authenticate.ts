import { AppError } from '@onevote/platform';
import { Type } from '@sinclair/typebox';
import { Counter, Histogram, type Registry } from 'prom-client';
import { type DpopOptions, tokenHash, type VerifiedProof, verifyDpopProof } from './dpop.ts';
import { invalidProof, invalidToken } from './errors.ts';
import type { ReplayStore } from './replay.ts';
import { type AccessTokenClaims, AccessTokenVerifier, parseTrustedIssuers, type Role } from './tokens.ts';

/** Settings every service with protected calls adds to its config schema. */
export const authConfigProperties = {
  /** JSON array of `{ issuer, jwksUrl }`: the only issuers whose tokens are accepted. */
  TRUSTED_ISSUERS: Type.String({ minLength: 2 }),
  TOKEN_AUDIENCE: Type.String({ default: 'onevote' }),
  DPOP_IAT_WINDOW_SECONDS: Type.Integer({ minimum: 5, maximum: 600, default: 60 }),
};

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
  registry?: Registry;
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
    return claims;
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
  config: { TRUSTED_ISSUERS: string; TOKEN_AUDIENCE: string; DPOP_IAT_WINDOW_SECONDS: number },
  deps: { replay: ReplayStore; registry?: Registry },
): Authenticator {
  const verifier = new AccessTokenVerifier({
    issuers: parseTrustedIssuers(config.TRUSTED_ISSUERS),
    audience: config.TOKEN_AUDIENCE,
  });
  return new Authenticator({
    verifier,
    replay: deps.replay,
    iatWindowSeconds: config.DPOP_IAT_WINDOW_SECONDS,
    ...(deps.registry ? { registry: deps.registry } : {}),
  });
}
