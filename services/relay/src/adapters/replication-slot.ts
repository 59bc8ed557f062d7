import type { Sql } from '@onevote/platform';

/**
 * The relay's logical replication slot on vote-api's publication: made here, read by a streaming
 * replication session (ReplicationStream). PostgreSQL keeps the confirmed position (and the WAL
 * from it on) across relay restarts, so a relay that dies resumes from the last position it
 * confirmed: nothing is skipped, and what is sent twice is de-duplicated downstream. A failover
 * loses it (PostgreSQL 15 does not copy logical slots to standbys): the relay makes it again and
 * republishes what it may have missed (Relay.ensureSlot).
 */
export class ReplicationSlot {
  constructor(
    private readonly sql: Sql,
    private readonly options: { slot: string; publication: string },
  ) {}

  /**
   * Waits (up to `waitMs`) for vote-api's publication: pgoutput reads the publication as of each
   * change it decodes, so a slot that starts before the publication was made fails on every change
   * from then on.
   */
  async waitForPublication(waitMs = 60_000): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (!(await this.publicationExists())) {
      if (Date.now() > deadline) throw new Error(`publication ${this.options.publication} does not exist (has vote-api migrated?)`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** The slot on the server the pool is connected to (the primary), if it exists there. */
  async find(): Promise<{ confirmedFlushLsn: string | null } | undefined> {
    const [row] = (await this.sql.unsafe(
      'select confirmed_flush_lsn::text as confirmed from pg_replication_slots where slot_name = $1',
      [this.options.slot],
    )) as unknown as { confirmed: string | null }[];
    return row ? { confirmedFlushLsn: row.confirmed } : undefined;
  }

  /** Creates the slot; returns the position it starts from (everything committed after it is decoded). */
  async create(): Promise<string> {
    const [row] = (await this.sql.unsafe(`select lsn::text from pg_create_logical_replication_slot($1, 'pgoutput')`, [
      this.options.slot,
    ])) as unknown as { lsn: string }[];
    return row!.lsn;
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
