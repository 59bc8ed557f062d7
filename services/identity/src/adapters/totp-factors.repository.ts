import type { KeyVault, Sql } from '@onevote/platform';

export interface TotpFactor {
  secret: string;
  confirmed: boolean;
  lastTimeStep: number | null;
}

/** Voters' TOTP factors (identity.totp_factors); secrets are encrypted at rest. */
export class TotpFactorsRepository {
  constructor(
    private readonly sql: Sql,
    private readonly vault: KeyVault,
  ) {}

  async of(voterId: string): Promise<TotpFactor | undefined> {
    const [row] = await this.sql<{ secret_encrypted: Buffer; confirmed: boolean; last_time_step: string | null }[]>`
      select secret_encrypted, confirmed_at is not null as confirmed, last_time_step
      from identity.totp_factors where voter_id = ${voterId}`;
    if (!row) return undefined;
    return {
      secret: this.vault.open(row.secret_encrypted, voterId),
      confirmed: row.confirmed,
      lastTimeStep: row.last_time_step === null ? null : Number(row.last_time_step),
    };
  }

  /** Starts (or starts again) an enrolment; false when a confirmed factor is already there. */
  async begin(voterId: string, secret: string): Promise<boolean> {
    const rows = await this.sql`
      insert into identity.totp_factors (voter_id, secret_encrypted)
      values (${voterId}, ${this.vault.seal(secret, voterId)})
      on conflict (voter_id) do update
        set secret_encrypted = excluded.secret_encrypted, last_time_step = null, created_at = now()
        where identity.totp_factors.confirmed_at is null
      returning voter_id`;
    return rows.length > 0;
  }

  /**
   * Records that a code of `timeStep` was used (and confirms the factor). Only moves forward, so of
   * two concurrent uses of one code only one succeeds.
   */
  async use(voterId: string, timeStep: number): Promise<boolean> {
    const rows = await this.sql`
      update identity.totp_factors
      set last_time_step = ${timeStep}, confirmed_at = coalesce(confirmed_at, now())
      where voter_id = ${voterId} and (last_time_step is null or last_time_step < ${timeStep})
      returning voter_id`;
    return rows.length > 0;
  }
}
