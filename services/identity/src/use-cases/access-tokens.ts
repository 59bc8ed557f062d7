import { randomUUID } from 'node:crypto';
import { emailHasher } from '@onevote/auth';
import { SignJWT } from 'jose';
import { type SigningKeys, signingAlgorithm } from '../adapters/signing-keys.ts';
import type { Role } from '../adapters/voters.repository.ts';
import type { Amr } from './mfa.ts';

/** Who a token is for, as identity knows them when it signs. */
export interface TokenSubject {
  voterId: string;
  roles: Role[];
  emailVerified: boolean;
  /** The normalised address: hashed into `email_hash` when it is verified, never put in the token. */
  email: string;
  /** How the session was authenticated (RFC 8176): `pwd`, and `otp` + `mfa` with a second factor. */
  amr: Amr[];
  /** The session (refresh family) the token belongs to: OIDC's `sid`. */
  sessionId: string;
}

export interface TokenPair {
  access_token: string;
  token_type: 'DPoP';
  expires_in: number;
  refresh_token: string;
}

/**
 * Signs access tokens (API.md: iss, sub, aud, exp, iat, jti, roles, email_verified, amr, sid, cnf.jkt; and email_hash) with the current key.
 * A token with the admin role lives shorter: a stolen or revoked one is useful for less time.
 */
export class AccessTokens {
  private readonly emailHash: (email: string) => string;

  constructor(
    private readonly keys: SigningKeys,
    private readonly options: { issuer: string; audience: string; ttlSeconds: number; adminTtlSeconds: number; emailHashKey: string },
  ) {
    this.emailHash = emailHasher(options.emailHashKey);
  }

  get issuer(): string {
    return this.options.issuer;
  }

  /** The longest any token of this issuer lives. */
  get maxTtlSeconds(): number {
    return Math.max(this.options.ttlSeconds, this.options.adminTtlSeconds);
  }

  /**
   * `email_verified` (OIDC Core §5.1) is true once the voter proved the address: elections whose
   * eligibility needs it are enforced from this claim, with no call to identity. With it comes
   * `email_hash`, the keyed hash of the address that voter rolls are matched on.
   */
  async issue(subject: TokenSubject, jkt: string, refreshToken: string): Promise<TokenPair> {
    const { voterId, roles } = subject;
    const key = this.keys.signer();
    const iat = Math.floor(Date.now() / 1000);
    const ttl = roles.includes('admin') ? Math.min(this.options.adminTtlSeconds, this.options.ttlSeconds) : this.options.ttlSeconds;
    const claims = {
      roles,
      email_verified: subject.emailVerified,
      ...(subject.emailVerified ? { email_hash: this.emailHash(subject.email) } : {}),
      amr: subject.amr,
      sid: subject.sessionId,
      cnf: { jkt },
    };
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: signingAlgorithm, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setSubject(voterId)
      .setAudience(this.options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return {
      access_token: accessToken,
      token_type: 'DPoP',
      expires_in: ttl,
      refresh_token: refreshToken,
    };
  }
}
