import { randomUUID } from 'node:crypto';
import type { Sql } from '@onevote/platform';

export type Role = 'voter' | 'admin';

export interface Voter {
  id: string;
  email: string;
  passwordHash: string;
  roles: Role[];
}

interface VoterRow {
  id: string;
  email: string;
  password_hash: string;
  roles: Role[];
}

const toVoter = (r: VoterRow): Voter => ({
  id: r.id,
  email: r.email,
  passwordHash: r.password_hash,
  roles: r.roles,
});

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
      select id, email, password_hash, roles from identity.voters where email = ${email}`;
    return row && toVoter(row);
  }

  async byId(id: string): Promise<Voter | undefined> {
    const [row] = await this.sql<VoterRow[]>`
      select id, email, password_hash, roles from identity.voters where id = ${id}`;
    return row && toVoter(row);
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
