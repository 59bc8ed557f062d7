import type { Sql } from '@onevote/platform';
import type { CodePurpose } from '../domain/email-code.ts';

export interface StoredCode {
  codeHash: Uint8Array;
  /** Wrong codes entered so far, this one included. */
  attempts: number;
  /** The address the code was mailed to: the one it proves (null for codes from before it was kept). */
  sentTo: string | null;
}

/** The one-time codes mailed to voters (identity.email_codes): one live code per voter and purpose. */
export class EmailCodesRepository {
  constructor(private readonly sql: Sql) {}

  /** Seconds since the voter's last code for this purpose was made (undefined: none). */
  async secondsSinceLast(voterId: string, purpose: CodePurpose): Promise<number | undefined> {
    const [row] = await this.sql<{ age: number }[]>`
      select extract(epoch from now() - sent_at)::float8 as age from identity.email_codes
      where voter_id = ${voterId} and purpose = ${purpose}`;
    return row?.age;
  }

  /** Stores a new code mailed to `sentTo`, replacing any earlier one (which stops working). */
  async replace(voterId: string, purpose: CodePurpose, codeHash: Uint8Array, ttlSeconds: number, sentTo: string): Promise<void> {
    await this.sql`
      insert into identity.email_codes (voter_id, purpose, code_hash, expires_at, attempts, sent_at, sent_to)
      values (${voterId}, ${purpose}, ${Buffer.from(codeHash)}, now() + make_interval(secs => ${ttlSeconds}), 0, now(), ${sentTo})
      on conflict (voter_id, purpose) do update
        set code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, sent_at = excluded.sent_at,
            sent_to = excluded.sent_to`;
  }

  /**
   * Counts one attempt at the voter's live code and returns it, in one statement (two concurrent
   * guesses both count). `spent`: the code exists but its attempts are used up; `none`: no code,
   * or it expired.
   */
  async attempt(voterId: string, purpose: CodePurpose, maxAttempts: number): Promise<StoredCode | 'spent' | 'none'> {
    const [row] = await this.sql<{ code_hash: Uint8Array; attempts: number; sent_to: string | null }[]>`
      update identity.email_codes set attempts = attempts + 1
      where voter_id = ${voterId} and purpose = ${purpose} and expires_at > now() and attempts < ${maxAttempts}
      returning code_hash, attempts, sent_to`;
    if (row) return { codeHash: row.code_hash, attempts: row.attempts, sentTo: row.sent_to };
    const [live] = await this.sql`
      select 1 from identity.email_codes where voter_id = ${voterId} and purpose = ${purpose} and expires_at > now()`;
    return live ? 'spent' : 'none';
  }

  async remove(voterId: string, purpose: CodePurpose): Promise<void> {
    await this.sql`delete from identity.email_codes where voter_id = ${voterId} and purpose = ${purpose}`;
  }
}
