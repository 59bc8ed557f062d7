import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Sql } from '@onevote/platform';
import type { Amr } from '../use-cases/mfa.ts';
import type { Role } from './voters.repository.ts';

export type RotateOutcome =
  | { kind: 'rotated'; voterId: string; roles: Role[]; emailVerified: boolean; email: string; amr: Amr[]; familyId: string; refreshToken: string }
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
  /** A new session: `amr` is what its login proved, carried by every token refreshed from it. */
  async startFamily(voterId: string, jkt: string, amr: Amr[]): Promise<{ token: string; familyId: string }> {
    const familyId = randomUUID();
    const { token, hash } = newToken();
    await this.sql.begin(async (tx) => {
      await tx`
        insert into identity.refresh_families (id, voter_id, jkt, amr, expires_at)
        values (${familyId}, ${voterId}, ${jkt}, ${amr}, now() + make_interval(secs => ${this.ttlSeconds}))`;
      await tx`insert into identity.refresh_tokens (token_hash, family_id) values (${hash}, ${familyId})`;
    });
    return { token, familyId };
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
          email_verified: boolean;
          email: string;
          amr: Amr[];
        }[]
      >`
        select t.family_id, t.spent_at, f.jkt, f.revoked_at, f.expires_at < now() as expired,
               f.voter_id, f.amr, v.roles, v.email, v.email_verified_at is not null as email_verified
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
        emailVerified: row.email_verified,
        email: row.email,
        amr: row.amr,
        familyId: row.family_id,
        refreshToken: next.token,
      } satisfies RotateOutcome;
    })) as RotateOutcome;
  }

  /** Logout: revokes the family of `token` if it is `voterId`'s; false when it is not theirs. */
  /** The voter's live sessions (families neither revoked nor expired), newest first. */
  async sessions(voterId: string): Promise<{ id: string; createdAt: Date; lastUsedAt: Date; amr: Amr[] }[]> {
    const rows = await this.sql<{ id: string; created_at: Date; last_used_at: Date; amr: Amr[] }[]>`
      select f.id, f.created_at, f.amr, coalesce(max(t.created_at), f.created_at) as last_used_at
      from identity.refresh_families f
      left join identity.refresh_tokens t on t.family_id = f.id
      where f.voter_id = ${voterId} and f.revoked_at is null and f.expires_at > now()
      group by f.id
      order by f.created_at desc`;
    return rows.map((r) => ({ id: r.id, createdAt: r.created_at, lastUsedAt: r.last_used_at, amr: r.amr }));
  }

  /** Ends one of the voter's sessions; false when it is not theirs or already over. */
  async revokeSession(voterId: string, familyId: string): Promise<boolean> {
    const rows = await this.sql`
      update identity.refresh_families set revoked_at = now(), revoked_reason = 'logout'
      where id = ${familyId} and voter_id = ${voterId} and revoked_at is null
      returning id`;
    return rows.length > 0;
  }

  /** Ends every session of a voter ("log out everywhere", a password reset). */
  async revokeAllFamilies(voterId: string, reason: string): Promise<number> {
    const rows = await this.sql`
      update identity.refresh_families set revoked_at = now(), revoked_reason = ${reason}
      where voter_id = ${voterId} and revoked_at is null
      returning id`;
    return rows.length;
  }

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
