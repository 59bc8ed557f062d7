import type { Sql } from '@onevote/platform';
import type { Tx } from './election.repository.ts';

/** A roll's place in the election row: which upload is current and how many it holds. */
export interface RollState {
  status: 'draft' | 'open' | 'closed';
  version: number;
  size: number;
  /** Vote shard groups the election's ballots are on. */
  shards: number;
}

/**
 * Voter rolls in the ballot schema: members' email hashes per election and upload version
 * (migration 004). An upload writes its version inside one transaction and switches to it at the
 * end, so readers see the old roll or the new one, never a part.
 */
export class RollRepository {
  /** `ballotShards`: this service's pool on every vote shard group (index = group), for `ballotsCounted`. */
  constructor(
    private readonly sql: Sql,
    private readonly ballotShards: Sql[] = [sql],
  ) {}

  /** Runs an upload in one transaction with a version number of its own. */
  upload<T>(work: (tx: Tx, version: number) => Promise<T>): Promise<T> {
    return this.sql.begin(async (tx) => {
      const [row] = await tx<{ version: number }[]>`select nextval('ballot.roll_versions')::int as version`;
      return work(tx as unknown as Tx, row!.version);
    }) as Promise<T>;
  }

  /** Adds hashes to `version` of the roll; returns how many were new to it (duplicates count once). */
  async add(tx: Tx, electionId: string, version: number, hashes: string[]): Promise<number> {
    const result = await tx`
      insert into ballot.roll_members (election_id, version, email_hash)
      select ${electionId}, ${version}, unnest(${hashes}::text[])
      on conflict do nothing`;
    return result.count;
  }

  /** Locks the election row (edits, transitions and other uploads wait) and reads its roll's state. */
  async lockState(tx: Tx, electionId: string): Promise<RollState | undefined> {
    const [row] = await tx<{ status: RollState['status']; roll_version: number; roll_size: number; shards: number }[]>`
      select status, roll_version, roll_size, shards from ballot.elections
       where id = ${electionId} and deleted_at is null
       for update`;
    return row && { status: row.status, version: row.roll_version, size: row.roll_size, shards: row.shards };
  }

  /** Members of `version` that are not in `previous`. */
  async countNew(tx: Tx, electionId: string, version: number, previous: number): Promise<number> {
    const [row] = await tx<{ n: number }[]>`
      select count(*)::int as n from ballot.roll_members n
       where n.election_id = ${electionId} and n.version = ${version}
         and not exists (select 1 from ballot.roll_members o
                          where o.election_id = ${electionId} and o.version = ${previous} and o.email_hash = n.email_hash)`;
    return row!.n;
  }

  /** Makes `version` the election's roll and drops every other version of it. */
  async switchTo(tx: Tx, electionId: string, version: number, size: number): Promise<void> {
    await tx`update ballot.elections set roll_version = ${version}, roll_size = ${size} where id = ${electionId}`;
    await tx`delete from ballot.roll_members where election_id = ${electionId} and version <> ${version}`;
  }

  async state(electionId: string): Promise<RollState | undefined> {
    const [row] = await this.sql<{ status: RollState['status']; roll_version: number; roll_size: number; shards: number }[]>`
      select status, roll_version, roll_size, shards from ballot.elections where id = ${electionId} and deleted_at is null`;
    return row && { status: row.status, version: row.roll_version, size: row.roll_size, shards: row.shards };
  }

  /**
   * Counted ballots of the election, through the read-only grant on vote-api's ballots: the sum over
   * the vote shard groups that hold them (read at once).
   */
  async ballotsCounted(electionId: string, shards = 1): Promise<number> {
    if (shards > this.ballotShards.length) {
      throw new Error(`election ${electionId} is on ${shards} vote shard groups; VOTE_SHARD_URLS names ${this.ballotShards.length}`);
    }
    const counts = await Promise.all(
      this.ballotShards.slice(0, Math.max(1, shards)).map(async (sql) => {
        const [row] = await sql<{ n: number }[]>`select count(*)::int as n from votes.ballots where election_id = ${electionId}`;
        return row!.n;
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Rolls that vote-api needs in Redis: every election with a roll that is not closed. */
  async live(): Promise<{ electionId: string; version: number }[]> {
    const rows = await this.sql<{ id: string; roll_version: number }[]>`
      select id, roll_version from ballot.elections
       where roll_version > 0 and status <> 'closed' and deleted_at is null`;
    return rows.map((r) => ({ electionId: r.id, version: r.roll_version }));
  }

  /** The members of a roll version in batches, from a server-side cursor (memory: one batch). */
  async *members(electionId: string, version: number, batchSize = 10_000): AsyncGenerator<string[]> {
    const cursor = this.sql<{ email_hash: string }[]>`
      select email_hash from ballot.roll_members
       where election_id = ${electionId} and version = ${version}`.cursor(batchSize);
    for await (const batch of cursor) yield batch.map((r) => r.email_hash);
  }
}
