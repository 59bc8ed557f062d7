import type { Sql } from '@onevote/platform';

/**
 * The relay's logical replication slot on vote-api's publication: made here, read by a streaming
 * replication session (ReplicationStream). PostgreSQL keeps the confirmed position (and the WAL
 * from it on) across relay restarts, so a relay that dies resumes from the last position it
 * confirmed: nothing is skipped, and what is sent twice is de-duplicated downstream.
 */
export class ReplicationSlot {
  constructor(
    private readonly sql: Sql,
    private readonly options: { slot: string; publication: string },
  ) {}

  /**
   * Creates the slot unless it exists, once vote-api's publication exists: pgoutput reads the
   * publication as of each change it decodes, so a slot that starts before the publication was
   * made fails on every change from then on.
   */
  async ensure(options: { waitMs?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.waitMs ?? 60_000);
    while (!(await this.publicationExists())) {
      if (Date.now() > deadline) throw new Error(`publication ${this.options.publication} does not exist (has vote-api migrated?)`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.sql.unsafe(
      `select pg_create_logical_replication_slot($1, 'pgoutput')
        where not exists (select 1 from pg_replication_slots where slot_name = $1)`,
      [this.options.slot],
    );
  }

  async publicationExists(): Promise<boolean> {
    const rows = await this.sql.unsafe('select 1 from pg_publication where pubname = $1', [this.options.publication]);
    return rows.length > 0;
  }

  /** WAL bytes between the newest write and the slot's confirmed position (how far behind it is). */
  async lagBytes(): Promise<number> {
    const [row] = (await this.sql.unsafe(
      `select pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::float8 as lag
         from pg_replication_slots where slot_name = $1`,
      [this.options.slot],
    )) as unknown as { lag: number | null }[];
    return row?.lag ?? 0;
  }

  async drop(): Promise<void> {
    await this.sql.unsafe(
      'select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = $1',
      [this.options.slot],
    );
  }
}
