import type { Sql } from '@onevote/platform';
import type postgres from 'postgres';
import type { Definition, Election, ElectionStatus } from '../domain/election.ts';

export type Tx = postgres.TransactionSql<Record<string, never>>;

/** A stored election: the published shape plus what only the ballot service needs. */
export interface StoredElection {
  election: Election;
  /** Its shard map version: how many vote shard groups its ballots are on (fixed at creation). */
  shards: number;
  deleted: boolean;
  publishedRevision: number;
}

export type HistoryAction = 'create' | 'edit' | 'open' | 'close' | 'delete' | 'roll' | 'void';

export interface HistoryEntry {
  electionId: string;
  actor: string;
  action: HistoryAction;
  changes: Record<string, unknown>;
}

const columns =
  'id, title, description, status, questions, opens_at, closes_at, results_visibility, require_challenge, eligibility, created_at, revision, published_revision, deleted_at, shards';

interface Row {
  id: string;
  title: string;
  description: string;
  status: ElectionStatus;
  questions: Election['questions'];
  opens_at: Date | null;
  closes_at: Date | null;
  results_visibility: Election['resultsVisibility'];
  require_challenge: boolean;
  eligibility: Election['eligibility'];
  created_at: Date;
  revision: number;
  published_revision: number;
  deleted_at: Date | null;
  shards: number;
}

function toStored(row: Row): StoredElection {
  return {
    election: {
      id: row.id,
      title: row.title,
      description: row.description,
      status: row.status,
      questions: row.questions,
      opensAt: row.opens_at?.toISOString() ?? null,
      closesAt: row.closes_at?.toISOString() ?? null,
      resultsVisibility: row.results_visibility,
      requireChallenge: row.require_challenge,
      eligibility: row.eligibility,
      createdAt: row.created_at.toISOString(),
      revision: row.revision,
    },
    shards: row.shards,
    deleted: row.deleted_at !== null,
    publishedRevision: row.published_revision,
  };
}

const rows = (result: readonly unknown[]) => (result as Row[]).map(toStored);

/** The ballot schema in PostgreSQL: elections, their lifecycle updates and history. */
export class ElectionRepository {
  /**
   * `shards`: the shard map version new elections get, the number of vote shard groups deployed
   * now (VOTE_SHARD_URLS); an election keeps the one it was created with.
   */
  constructor(
    private readonly sql: Sql,
    private readonly options: { shards?: number } = {},
  ) {}

  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.sql.begin(work) as Promise<T>;
  }

  async insert(tx: Tx, id: string, definition: Definition, seedKey?: string): Promise<StoredElection> {
    const result = await tx.unsafe(
      `insert into ballot.elections (id, title, description, status, questions, opens_at, closes_at, results_visibility, require_challenge, eligibility, seed_key, shards)
       values ($1, $2, $3, 'draft', $4::jsonb, $5, $6, $7, $8, $9, $10, $11)
       returning ${columns}`,
      [
        id,
        definition.title,
        definition.description,
        // postgres.js serialises a jsonb parameter itself (JSON.stringify here would store a string).
        definition.questions as never,
        definition.opensAt,
        definition.closesAt,
        definition.resultsVisibility,
        definition.requireChallenge,
        definition.eligibility,
        seedKey ?? null,
        this.options.shards ?? 1,
      ],
    );
    return rows(result)[0]!;
  }

  async update(tx: Tx, id: string, definition: Definition): Promise<StoredElection> {
    const result = await tx.unsafe(
      `update ballot.elections
          set title = $2, description = $3, questions = $4::jsonb, opens_at = $5, closes_at = $6,
              results_visibility = $7, require_challenge = $8, eligibility = $9, revision = revision + 1, updated_at = now()
        where id = $1
       returning ${columns}`,
      [
        id,
        definition.title,
        definition.description,
        // postgres.js serialises a jsonb parameter itself (JSON.stringify here would store a string).
        definition.questions as never,
        definition.opensAt,
        definition.closesAt,
        definition.resultsVisibility,
        definition.requireChallenge,
        definition.eligibility,
      ],
    );
    return rows(result)[0]!;
  }

  /** The election, or undefined; a deleted one only when asked for. */
  async find(id: string, options: { includeDeleted?: boolean } = {}): Promise<StoredElection | undefined> {
    const result = await this.sql.unsafe(`select ${columns} from ballot.elections where id = $1`, [id]);
    const found = rows(result)[0];
    return found && (!found.deleted || options.includeDeleted) ? found : undefined;
  }

  /** Locks the row for the rest of the transaction, so edits and transitions queue behind it. */
  async findForUpdate(tx: Tx, id: string): Promise<StoredElection | undefined> {
    const result = await tx.unsafe(
      `select ${columns} from ballot.elections where id = $1 and deleted_at is null for update`,
      [id],
    );
    return rows(result)[0];
  }

  async findBySeedKey(seedKey: string): Promise<StoredElection | undefined> {
    const result = await this.sql.unsafe(
      `select ${columns} from ballot.elections where seed_key = $1 and deleted_at is null`,
      [seedKey],
    );
    return rows(result)[0];
  }

  async list(options: { statuses: ElectionStatus[]; limit: number }): Promise<Election[]> {
    const result = await this.sql.unsafe(
      `select ${columns} from ballot.elections
        where deleted_at is null and status = any($1::text[])
        order by created_at desc, id
        limit $2`,
      [options.statuses, options.limit],
    );
    return rows(result).map((s) => s.election);
  }

  /**
   * Moves one election from `from` to `to` if, and only if, it is in `from` now. The condition in
   * the UPDATE is what makes a transition happen once: a concurrent second update (another replica,
   * the scheduler, a double click) waits for the row lock, re-checks the condition and matches none.
   */
  async transition(tx: Tx, id: string, from: ElectionStatus, to: ElectionStatus) {
    // A transition by hand pins the time it happened (API.md, Elections): opening sets opens_at and
    // closing sets closes_at to now, so the status and the times never disagree and a vote-api that
    // missed the config change still stops taking ballots at the close.
    const result = await tx.unsafe(
      `update ballot.elections
          set status = $3,
              opens_at = case when $3 = 'open' then now() else opens_at end,
              closes_at = case when $3 = 'closed' then now() else closes_at end,
              revision = revision + 1, updated_at = now()
        where id = $1 and status = $2 and deleted_at is null
       returning ${columns}`,
      [id, from, to],
    );
    return rows(result)[0];
  }

  /** Every election whose scheduled time for `to` has come, moved in one conditional UPDATE. */
  async transitionDue(tx: Tx, to: 'open' | 'closed', limit: number): Promise<StoredElection[]> {
    const [from, column] = to === 'open' ? ['draft', 'opens_at'] : ['open', 'closes_at'];
    // skip locked: a row another replica is moving right now is its business, not a reason to wait.
    const result = await tx.unsafe(
      `update ballot.elections set status = $2, revision = revision + 1, updated_at = now()
        where id in (
          select id from ballot.elections
           where status = $1 and deleted_at is null and ${column} <= now()
           order by ${column}
           limit $3
           for update skip locked)
          and status = $1
       returning ${columns}`,
      [from, to, limit],
    );
    return rows(result);
  }

  async markDeleted(tx: Tx, id: string): Promise<StoredElection> {
    const result = await tx.unsafe(
      `update ballot.elections set deleted_at = now(), revision = revision + 1, updated_at = now()
        where id = $1 returning ${columns}`,
      [id],
    );
    return rows(result)[0]!;
  }

  async record(tx: Tx, entries: HistoryEntry[]): Promise<void> {
    for (const e of entries) {
      await tx.unsafe(
        'insert into ballot.history (election_id, actor, action, changes) values ($1, $2, $3, $4::jsonb)',
        [e.electionId, e.actor, e.action, e.changes as never],
      );
    }
  }

  async history(id: string) {
    const result = await this.sql.unsafe(
      'select at, actor, action, changes from ballot.history where election_id = $1 order by seq',
      [id],
    );
    return (
      result as unknown as { at: Date; actor: string; action: string; changes: Record<string, unknown> }[]
    ).map((r) => ({ at: r.at.toISOString(), actor: r.actor, action: r.action, changes: r.changes }));
  }

  /** History entries not yet acknowledged by ELECTION_EVENTS, oldest first. */
  async unpublishedHistory(limit: number): Promise<{ seq: number; electionId: string; action: HistoryAction; at: Date }[]> {
    const result = await this.sql.unsafe(
      `select seq, election_id, action, at from ballot.history where published_at is null order by seq limit $1`,
      [limit],
    );
    return (result as unknown as { seq: string; election_id: string; action: HistoryAction; at: Date }[]).map((r) => ({
      seq: Number(r.seq),
      electionId: r.election_id,
      action: r.action,
      at: r.at,
    }));
  }

  async markHistoryPublished(seq: number): Promise<void> {
    await this.sql.unsafe('update ballot.history set published_at = now() where seq = $1', [seq]);
  }

  /** Ids of elections whose latest revision is not known to be in the KV bucket yet. */
  async publishPending(limit: number): Promise<string[]> {
    const result = await this.sql.unsafe(
      'select id from ballot.elections where published_revision < revision order by updated_at limit $1',
      [limit],
    );
    return (result as unknown as { id: string }[]).map((r) => r.id);
  }

  async allIds(): Promise<string[]> {
    const result = await this.sql.unsafe('select id from ballot.elections where deleted_at is null');
    return (result as unknown as { id: string }[]).map((r) => r.id);
  }

  async markPublished(id: string, revision: number): Promise<void> {
    await this.sql.unsafe(
      'update ballot.elections set published_revision = greatest(published_revision, $2) where id = $1',
      [id, revision],
    );
  }
}
