import { AppError, type RedisClient, withDeadline } from '@onevote/platform';
import type { AccessTokenClaims } from './tokens.ts';

/**
 * Access tokens revoked before they expire: one token (logout) or every token of a subject issued
 * until a moment (admin role revoked, "log out everywhere"). Checked on admin calls only — a
 * voter's token is short-lived and the vote path stays one Redis round trip.
 */
export interface RevocationList {
  isRevoked(claims: Pick<AccessTokenClaims, 'issuer' | 'subject' | 'tokenId' | 'issuedAt'>): Promise<boolean>;
}

export class RedisRevocationList implements RevocationList {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix = 'revoked:',
    private readonly deadlineMs = 1000,
  ) {}

  // Both keys of a subject share its hash tag, so one MGET reads them on a Redis cluster too.
  private keys(issuer: string, subject: string) {
    const tag = `{${issuer}|${subject}}`;
    return { before: `${this.prefix}${tag}:before`, token: (jti: string) => `${this.prefix}${tag}:jti:${jti}` };
  }

  async isRevoked(claims: Pick<AccessTokenClaims, 'issuer' | 'subject' | 'tokenId' | 'issuedAt'>): Promise<boolean> {
    const keys = this.keys(claims.issuer, claims.subject);
    const [token, before] = await this.bounded(() => this.redis.mget(keys.token(claims.tokenId), keys.before));
    return token !== null || (before !== null && Number(before) >= claims.issuedAt);
  }

  /** Revokes one token until it would have expired. */
  async revokeToken(claims: Pick<AccessTokenClaims, 'issuer' | 'subject' | 'tokenId' | 'expiresAt'>): Promise<void> {
    const ttl = Math.max(1, Math.ceil(claims.expiresAt - Date.now() / 1000) + 30);
    await this.bounded(() => this.redis.set(this.keys(claims.issuer, claims.subject).token(claims.tokenId), '1', 'EX', ttl));
  }

  /** Revokes every token of the subject issued up to now; kept as long as any of them could live. */
  async revokeAllBefore(issuer: string, subject: string, maxTokenLifetimeSeconds: number): Promise<void> {
    const now = Math.floor(Date.now() / 1000);
    await this.bounded(() =>
      this.redis.set(this.keys(issuer, subject).before, String(now), 'EX', maxTokenLifetimeSeconds + 60),
    );
  }

  private async bounded<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.deadlineMs, work);
    } catch (err) {
      // An admin call whose token cannot be checked is refused, retryably: revocation fails closed.
      throw new AppError('unavailable', { detail: 'token revocations cannot be checked; retry shortly', retryAfter: 1, cause: err });
    }
  }
}
