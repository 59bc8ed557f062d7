import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '@onevote/platform';
import type { Role } from './voters.repository.ts';

export type RotateOutcome =
  | { kind: 'rotated'; voterId: string; roles: Role[]; refreshToken: string }
  /** The token was already spent: its whole family is revoked now. */
  | { kind: 'reused'; voterId: string }
  | { kind: 'invalid'; reason: 'unknown' | 'revoked' | 'expired' }
  | { kind: 'wrong_key' };

/** Opaque, random (256 bits), stored only as its SHA-256. */
function newToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOf(token) };
}

function hashOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class RefreshTokensRepository {
  constructor(
    private readonly sql: Sql,
    private readonly ttlSeconds: number,
  ) {}

  /** A login: a new family bound to the DPoP key `jkt`, and its first token. */
  async startFamily(voterId: string, jkt: string): Promise<string> {
    const familyId = randomUUID();
    const { token, hash } = newToken();
    await this.sql.begin(async (tx) => {
      await tx`
        insert into identity.refresh_families (id, voter_id, jkt, expires_at)
        values (${familyId}, ${voterId}, ${jkt}, now() + make_interval(secs => ${this.ttlSeconds}))`;
      await tx`insert into identity.refresh_tokens (token_hash, family_id) values (${hash}, ${familyId})`;
    });
    return token;
  }

  /**
   * Spends `token` and issues its successor, single use: the family row is locked, so of two
   * concurrent refreshes with one token, one rotates and the other finds it spent and revokes the
   * family (a spent token presented again means it leaked).
   */
  async rotate(token: string, jkt: string): Promise<RotateOutcome> {
    const hash = hashOf(token);
    return (await this.sql.begin(async (tx) => {
      const [row] = await tx<
        {
          family_id: string;
          spent_at: Date | null;
          jkt: string;
          revoked_at: Date | null;
          expired: boolean;
          voter_id: string;
          roles: Role[];
        }[]
      >`
        select t.family_id, t.spent_at, f.jkt, f.revoked_at, f.expires_at < now() as expired,
               f.voter_id, v.roles
        from identity.refresh_tokens t
        join identity.refresh_families f on f.id = t.family_id
        join identity.voters v on v.id = f.voter_id
        where t.token_hash = ${hash}
        for update of t, f`;
      if (!row) return { kind: 'invalid', reason: 'unknown' } satisfies RotateOutcome;
      if (row.revoked_at) return { kind: 'invalid', reason: 'revoked' } satisfies RotateOutcome;
      if (row.spent_at) {
        await tx`
          update identity.refresh_families set revoked_at = now(), revoked_reason = 'reuse'
          where id = ${row.family_id}`;
        return { kind: 'reused', voterId: row.voter_id } satisfies RotateOutcome;
      }
      if (row.expired) return { kind: 'invalid', reason: 'expired' } satisfies RotateOutcome;
      // Bound to the key of the login (RFC 9449 §5); a token without that key is useless to a thief.
      if (row.jkt !== jkt) return { kind: 'wrong_key' } satisfies RotateOutcome;
      const next = newToken();
      await tx`update identity.refresh_tokens set spent_at = now() where token_hash = ${hash}`;
      await tx`
        insert into identity.refresh_tokens (token_hash, family_id) values (${next.hash}, ${row.family_id})`;
      return {
        kind: 'rotated',
        voterId: row.voter_id,
        roles: row.roles,
        refreshToken: next.token,
      } satisfies RotateOutcome;
    })) as RotateOutcome;
  }

  /** Logout: revokes the family of `token` if it is `voterId`'s; false when it is not theirs. */
  async revokeFamily(token: string, voterId: string): Promise<boolean> {
    const rows = await this.sql`
      update identity.refresh_families f
      set revoked_at = coalesce(f.revoked_at, now()), revoked_reason = coalesce(f.revoked_reason, 'logout')
      from identity.refresh_tokens t
      where t.token_hash = ${hashOf(token)} and t.family_id = f.id and f.voter_id = ${voterId}
      returning f.id`;
    return rows.length > 0;
  }
}
