import { randomUUID } from 'node:crypto';
import type { Sql } from '@onevote/platform';

export type Role = 'voter' | 'admin';

export interface Voter {
  id: string;
  email: string;
  passwordHash: string;
  roles: Role[];
  emailVerified: boolean;
}

interface VoterRow {
  id: string;
  email: string;
  password_hash: string;
  roles: Role[];
  email_verified: boolean;
}

const toVoter = (r: VoterRow): Voter => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  roles: r.roles,
  emailVerified: r.email_verified,
});

const uniqueViolation = '23505';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class VotersRepository {
  constructor(private readonly sql: Sql) {}

  /** Returns the new voter's id, or undefined when the email is taken. */
  async create(email: string, passwordHash: string, roles: Role[] = ['voter']): Promise<string | undefined> {
    const id = randomUUID();
    const rows = await this.sql`
      insert into identity.voters (id, email, password_hash, roles)
      values (${id}, ${email}, ${passwordHash}, ${roles})
      on conflict (email) do nothing
      returning id`;
    return rows.length > 0 ? id : undefined;
  }

  async byEmail(email: string): Promise<Voter | undefined> {
    const [row] = await this.sql<VoterRow[]>`
      select id, email, password_hash, roles, email_verified_at is not null as email_verified
      from identity.voters where email = ${email}`;
    return row && toVoter(row);
  }

  async byId(id: string): Promise<Voter | undefined> {
    // Our voters' ids are uuids; a trusted external issuer's voter ("<prefix>:<sub>") is none of ours.
    if (!uuidPattern.test(id)) return undefined;
    const [row] = await this.sql<VoterRow[]>`
      select id, email, password_hash, roles, email_verified_at is not null as email_verified
      from identity.voters where id = ${id}`;
    return row && toVoter(row);
  }

  /** Deletes the voter; their sessions, codes and factors go with them (on delete cascade). */
  async remove(id: string): Promise<void> {
    await this.sql`delete from identity.voters where id = ${id}`;
  }

  /** Marks the voter's current address as verified. */
  async markEmailVerified(id: string): Promise<void> {
    await this.sql`update identity.voters set email_verified_at = now() where id = ${id} and email_verified_at is null`;
  }

  /**
   * An email change, confirmed: in one transaction the code that proved `email` is spent (it must
   * still be the stored one: not spent by a concurrent confirmation, nor replaced by a new request),
   * the voter's address becomes `email`, verified, and the voter's other codes (mailed to the old
   * address) are dropped. `taken`: another voter has the address by now, and nothing changed.
   */
  async switchEmail(
    id: string,
    change: { email: string; codeHash: Uint8Array },
  ): Promise<{ kind: 'switched'; previous: string } | { kind: 'taken' | 'code_gone' | 'no_voter' }> {
    type Outcome = Awaited<ReturnType<VotersRepository['switchEmail']>>;
    try {
      return (await this.sql.begin(async (tx) => {
        const [voter] = await tx<{ email: string }[]>`select email from identity.voters where id = ${id} for update`;
        if (!voter) return { kind: 'no_voter' } satisfies Outcome;
        const spent = await tx`
          delete from identity.email_codes
          where voter_id = ${id} and purpose = 'change_email' and code_hash = ${Buffer.from(change.codeHash)}
            and sent_to = ${change.email}
          returning 1`;
        if (spent.length === 0) return { kind: 'code_gone' } satisfies Outcome;
        // The unique index on email is what refuses an address registered since the code was sent.
        await tx`update identity.voters set email = ${change.email}, email_verified_at = now() where id = ${id}`;
        await tx`delete from identity.email_codes where voter_id = ${id}`;
        return { kind: 'switched', previous: voter.email } satisfies Outcome;
      })) as Outcome;
    } catch (err) {
      if ((err as { code?: string }).code === uniqueViolation) return { kind: 'taken' };
      throw err;
    }
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.sql`update identity.voters set password_hash = ${passwordHash} where id = ${id}`;
  }

  /** Adds or removes a role; returns false when no voter has that email. */
  async setRole(email: string, role: Role, granted: boolean): Promise<boolean> {
    const rows = granted
      ? await this.sql`
          update identity.voters set roles = array_append(roles, ${role})
          where email = ${email} and not (${role} = any(roles)) returning id`
      : await this.sql`
          update identity.voters set roles = array_remove(roles, ${role})
          where email = ${email} returning id`;
    if (rows.length > 0) return true;
    const [exists] = await this.sql`select 1 from identity.voters where email = ${email}`;
    return Boolean(exists);
  }
}
