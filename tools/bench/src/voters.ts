import { randomUUID } from 'node:crypto';
import { type BenchIssuer, mintToken } from './issuer.ts';
import { accessTokenHash, newVoterKey, type VoterKey } from './signer.ts';

export interface Voter {
  /** The voter id as the services know it (the issuer's prefix and the token's `sub`). */
  voterId: string;
  key: VoterKey;
  token: string;
  /** `ath` for every proof of this voter. */
  ath: string;
  authorization: string;
}

/**
 * Makes `count` voters, each with its own DPoP key and a token bound to it (about 150 µs each on
 * this machine). Done in this thread: worker threads that load TypeScript hung intermittently on
 * Node 20, and a few seconds of set-up is cheaper than a flaky bench.
 */
export function provisionVoters(
  issuer: BenchIssuer,
  count: number,
  audience: string,
  lifetimeSeconds: number,
  options: { emailVerified?: boolean; emailHash?: (sub: string) => string } = {},
): Voter[] {
  return Array.from({ length: count }, () => {
    const { key } = newVoterKey();
    const sub = randomUUID();
    const voterId = `${issuer.voterPrefix}${sub}`;
    const token = mintToken({
      issuer: issuer.issuer,
      kid: issuer.kid,
      audience,
      key: issuer.privateKey,
      sub,
      jkt: key.jkt,
      roles: ['voter'],
      lifetimeSeconds,
      ...(options.emailVerified ? { emailVerified: true } : {}),
      ...(options.emailHash ? { emailHash: options.emailHash(sub) } : {}),
    });
    return { voterId, key, token, ath: accessTokenHash(token), authorization: `DPoP ${token}` };
  });
}
