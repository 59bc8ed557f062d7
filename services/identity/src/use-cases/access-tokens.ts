import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type SigningKeys, signingAlgorithm } from '../adapters/signing-keys.ts';
import type { Role } from '../adapters/voters.repository.ts';

export interface TokenPair {
  access_token: string;
  token_type: 'DPoP';
  expires_in: number;
  refresh_token: string;
}

/** Signs access tokens (API.md: iss, sub, aud, exp, iat, jti, roles, cnf.jkt) with the current key. */
export class AccessTokens {
  constructor(
    private readonly keys: SigningKeys,
    private readonly options: { issuer: string; audience: string; ttlSeconds: number },
  ) {}

  async issue(voterId: string, roles: Role[], jkt: string, refreshToken: string): Promise<TokenPair> {
    const key = this.keys.signer();
    const iat = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({ roles, cnf: { jkt } })
      .setProtectedHeader({ alg: signingAlgorithm, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setSubject(voterId)
      .setAudience(this.options.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.options.ttlSeconds)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return {
      access_token: accessToken,
      token_type: 'DPoP',
      expires_in: this.options.ttlSeconds,
      refresh_token: refreshToken,
    };
  }
}
