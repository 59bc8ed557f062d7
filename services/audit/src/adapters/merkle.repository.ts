import { AppError, type Sql } from '@onevote/platform';
import type postgres from 'postgres';
import {
  appendPlan,
  consistencyPlan,
  type Hash,
  inclusionPlan,
  leafHash,
  rootPlan,
  type Subtree,
  type SubtreePlan,
  type SubtreeRef,
} from '../domain/merkle.ts';

type Tx = postgres.TransactionSql<Record<string, never>>;
type Runner = Sql | Tx;

/** A leaf to append: the exact bytes verifiers will hash, and what the log indexes it by. */
export interface LeafToAppend {
  leaf: Uint8Array;
  /** `ballot`, `void`, `event`, ... (API.md, Audit log). */
  kind: string;
  /**
   * What makes the leaf one of its kind: base64url SHA-256 of the receipt id for `ballot` and
   * `void` leaves (required for ballots), `seq:<n>` for events. A leaf whose kind and key are
   * already in the log is not appended again.
   */
  key?: string | null;
}

export interface AppendResult {
  /** The log's size after the batch. */
  treeSize: number;
  /** Per input leaf, in input order: its index in the log, and whether it was already there. */
  placed: { leafIndex: number; alreadyLogged: boolean }[];
}

export interface LogEntry {
  leafIndex: number;
  leaf: Uint8Array;
}

export interface InclusionProof {
  leafIndex: number;
  treeSize: number;
  leaf: Uint8Array;
  leafHash: Hash;
  auditPath: Hash[];
}

export interface ConsistencyProof {
  from: number;
  to: number;
  proof: Hash[];
}

/** At most this many entries per `entries` call (API.md). */
export const maxEntriesPerCall = 1000;

const prepared = { prepare: true } as const;

const lockTree = `select size from audit.trees where election_id = $1::uuid for update`;
const createTree = `insert into audit.trees (election_id, size) values ($1::uuid, 0) on conflict do nothing`;
const treeSize = `select size from audit.trees where election_id = $1::uuid`;

// One lookup in the partial unique index per keyed leaf of the batch. As `leaf_key = any($2)`, or
// as a plain join, the planner (with statistics from when the log was small) read every ballot leaf
// of the election per batch, so appends slowed down as the log grew. `limit 1` (the index is
// unique) keeps the subquery a per-row index lookup whatever the statistics say.
const loggedKeys = `
select b.kind, b.leaf_key, l.leaf_index
from unnest($2::text[], $3::text[]) as b(kind, leaf_key)
cross join lateral (
  select leaf_index from audit.leaves
  where election_id = $1::uuid and kind = b.kind and leaf_key = b.leaf_key
  limit 1
) l`;

// One primary-key lookup per wanted node (a lateral subquery; `limit 1` keeps it one, as above),
// whatever plan the prepared statement keeps: level 0 is the leaf's own hash in audit.leaves, higher
// levels are in audit.nodes. The tree's size comes from the same snapshot, so a size that covers the
// wanted nodes guarantees they are all there.
const readNodes = `
select t.size, n.level, n.node_index, n.hash
from audit.trees t
left join lateral (
  select w.level, w.node_index, s.hash
  from unnest($2::smallint[], $3::bigint[]) as w(level, node_index)
  cross join lateral (
    select leaf_hash as hash from audit.leaves
    where w.level = 0 and election_id = t.election_id and leaf_index = w.node_index
    union all
    select hash from audit.nodes
    where w.level > 0 and election_id = t.election_id and level = w.level and node_index = w.node_index
    limit 1
  ) s
) n on true
where t.election_id = $1::uuid`;

// The batch's leaves, its nodes and the new size: one statement, after the lock and the reads.
// Bytes travel as hex text (postgres.js infers an array of Buffers as one bytea, not bytea[]; its
// bytea parameters are hex text on the wire anyway).
const writeBatch = `
with leaf_rows as (
  insert into audit.leaves (election_id, leaf_index, leaf, leaf_hash, kind, leaf_key)
  select $1::uuid, i, decode(l, 'hex'), decode(h, 'hex'), k, b
  from unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[]) as t(i, l, h, k, b)
),
node_rows as (
  insert into audit.nodes (election_id, level, node_index, hash)
  select $1::uuid, v, i, decode(h, 'hex') from unnest($7::smallint[], $8::bigint[], $9::text[]) as t(v, i, h)
)
update audit.trees set size = $10::bigint where election_id = $1::uuid`;

// The leaf and the log's size in one snapshot (the proof against the current size needs both).
const ballotLeaf = `
select l.leaf_index, l.leaf, t.size from audit.leaves l
join audit.trees t on t.election_id = l.election_id
where l.election_id = $1::uuid and l.kind = 'ballot' and l.leaf_key = $2::text`;

const indexedLeaf = `select leaf from audit.leaves where election_id = $1::uuid and leaf_index = $2::bigint`;

const entryRange = `
select leaf_index, leaf from audit.leaves
where election_id = $1::uuid and leaf_index >= $2::bigint and leaf_index < $3::bigint
order by leaf_index
limit $4::int`;

const hex = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

const invalid = (detail: string) => new AppError('invalid_request', { detail });

function checkIndex(value: number, name: string) {
  if (!Number.isSafeInteger(value) || value < 0) throw invalid(`${name} must be a non-negative integer`);
}

/**
 * The audit schema in PostgreSQL: each election's leaves and the hash of every complete subtree of
 * its log, so heads and proofs are a handful of primary-key reads at any size.
 */
export class MerkleRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Appends a batch to an election's log in one transaction. A ballot already in the log (a
   * redelivery), or twice in the batch, is not appended again; `placed` says where it already is.
   */
  async append(electionId: string, leaves: readonly LeafToAppend[]): Promise<AppendResult> {
    for (const leaf of leaves) {
      if (leaf.kind === 'ballot' && !leaf.key) throw new Error('a ballot leaf needs its key (the ballot hash)');
    }
    if (leaves.length === 0) return { treeSize: await this.size(electionId), placed: [] };
    return (await this.sql.begin(async (tx) => {
      const size = await lock(tx, electionId);
      const keyed = leaves.filter((l) => l.key);
      // After the lock: no other batch of this election can add one of these leaves meanwhile.
      const logged =
        keyed.length === 0
          ? []
          : ((await tx.unsafe(loggedKeys, [electionId, keyed.map((l) => l.kind), keyed.map((l) => l.key!)] as never[], prepared)) as unknown as {
              kind: string;
              leaf_key: string;
              leaf_index: string;
            }[]);
      const identity = (kind: string, key: string) => `${kind}\u0000${key}`;
      const keyIndex = new Map(logged.map((row) => [identity(row.kind, row.leaf_key), Number(row.leaf_index)]));

      const placed: AppendResult['placed'] = [];
      const fresh: LeafToAppend[] = [];
      for (const leaf of leaves) {
        const id = leaf.key ? identity(leaf.kind, leaf.key) : undefined;
        const known = id ? keyIndex.get(id) : undefined;
        if (known !== undefined) {
          placed.push({ leafIndex: known, alreadyLogged: true });
          continue;
        }
        const leafIndex = size + fresh.length;
        if (id) keyIndex.set(id, leafIndex);
        placed.push({ leafIndex, alreadyLogged: false });
        fresh.push(leaf);
      }
      if (fresh.length === 0) return { treeSize: size, placed };

      const hashes = fresh.map((l) => leafHash(l.leaf));
      const plan = appendPlan(size, hashes);
      const { found } = await readSubtrees(tx, electionId, plan.subtrees);
      // Level 0 is stored once, as each leaf's leaf_hash.
      const nodes = plan.resolve(found).filter((n) => n.level > 0);
      const newSize = size + fresh.length;
      await tx.unsafe(
        writeBatch,
        [
          electionId,
          fresh.map((_, i) => size + i),
          fresh.map((l) => hex(l.leaf)),
          hashes.map(hex),
          fresh.map((l) => l.kind),
          fresh.map((l) => l.key ?? null),
          nodes.map((n) => n.level),
          nodes.map((n) => n.index),
          nodes.map((n) => hex(n.hash)),
          newSize,
        ] as never[],
        prepared,
      );
      return { treeSize: newSize, placed };
    })) as AppendResult;
  }

  /** The election's log size (0 before its first leaf). */
  async size(electionId: string): Promise<number> {
    const [row] = (await this.sql.unsafe(treeSize, [electionId], prepared)) as unknown as { size: string }[];
    return row ? Number(row.size) : 0;
  }

  /** The root hash of the first `treeSize` leaves (the whole log when omitted). */
  async root(electionId: string, treeSize?: number): Promise<{ treeSize: number; rootHash: Hash }> {
    const size = await this.sizeOrCurrent(electionId, treeSize, 'treeSize');
    const rootHash = await this.answer(electionId, size, rootPlan(size));
    return { treeSize: size, rootHash };
  }

  /** RFC 9162 §2.1.3 proof for the leaf at `leafIndex` in the tree of `treeSize` (the whole log when omitted). */
  async inclusionProof(electionId: string, leafIndex: number, treeSize?: number): Promise<InclusionProof> {
    checkIndex(leafIndex, 'leafIndex');
    const size = await this.sizeOrCurrent(electionId, treeSize, 'treeSize');
    if (leafIndex >= size) throw invalid(`leafIndex ${leafIndex} is not in a tree of ${size} leaves`);
    // The proof first: it checks `size` against the log, so the leaf below exists.
    const proof = await this.answer(electionId, size, inclusionPlan(leafIndex, size));
    const [row] = (await this.sql.unsafe(indexedLeaf, [electionId, leafIndex] as never[], prepared)) as unknown as {
      leaf: Uint8Array;
    }[];
    return { leafIndex, treeSize: size, leaf: row!.leaf, ...proof };
  }

  /**
   * The inclusion proof of a ballot's leaf, found by its `ballotHash`; undefined when that ballot is
   * not in the tree of `treeSize` (the whole log when omitted).
   */
  async inclusionProofForBallot(
    electionId: string,
    ballotHash: string,
    treeSize?: number,
  ): Promise<InclusionProof | undefined> {
    if (treeSize !== undefined) checkIndex(treeSize, 'treeSize');
    const [row] = (await this.sql.unsafe(ballotLeaf, [electionId, ballotHash], prepared)) as unknown as {
      leaf_index: string;
      leaf: Uint8Array;
      size: string;
    }[];
    if (!row) return undefined;
    const leafIndex = Number(row.leaf_index);
    const size = treeSize ?? Number(row.size);
    if (leafIndex >= size) return undefined;
    const proof = await this.answer(electionId, size, inclusionPlan(leafIndex, size));
    return { leafIndex, treeSize: size, leaf: row.leaf, ...proof };
  }

  /** RFC 9162 §2.1.4 proof that the tree of `from` leaves is a prefix of the tree of `to` (the whole log when omitted). */
  async consistencyProof(electionId: string, from: number, to?: number): Promise<ConsistencyProof> {
    checkIndex(from, 'from');
    const size = await this.sizeOrCurrent(electionId, to, 'to');
    if (from > size) throw invalid(`from ${from} is above to ${size}`);
    return { from, to: size, proof: await this.answer(electionId, size, consistencyPlan(from, size)) };
  }

  /** Leaves `start <= leafIndex < end` that are in the log, at most 1,000 (API.md `entries`). */
  async entries(electionId: string, start: number, end: number): Promise<LogEntry[]> {
    checkIndex(start, 'start');
    checkIndex(end, 'end');
    if (end < start) throw invalid('end is below start');
    if (end - start > maxEntriesPerCall) throw invalid(`at most ${maxEntriesPerCall} entries per call`);
    return this.readEntries(electionId, start, end, end - start);
  }

  /**
   * Leaves `start <= leafIndex < end` (to the end of the log when `end` is omitted) in batches of
   * `batchSize`: one keyset query per batch, so memory holds one batch and no connection is held
   * between batches, whatever the log's size.
   */
  async *entryBatches(
    electionId: string,
    options: { start?: number; end?: number; batchSize?: number } = {},
  ): AsyncGenerator<LogEntry[]> {
    const { start = 0, end = Number.MAX_SAFE_INTEGER, batchSize = maxEntriesPerCall } = options;
    checkIndex(start, 'start');
    checkIndex(end, 'end');
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw invalid('batchSize must be a positive integer');
    let next = start;
    while (next < end) {
      const batch = await this.readEntries(electionId, next, end, batchSize);
      if (batch.length === 0) return;
      yield batch;
      next = batch[batch.length - 1]!.leafIndex + 1;
      if (batch.length < batchSize) return;
    }
  }

  private async readEntries(electionId: string, start: number, end: number, limit: number): Promise<LogEntry[]> {
    const rows = (await this.sql.unsafe(entryRange, [electionId, start, end, limit] as never[], prepared)) as unknown as {
      leaf_index: string;
      leaf: Uint8Array;
    }[];
    return rows.map((r) => ({ leafIndex: Number(r.leaf_index), leaf: r.leaf }));
  }

  private async sizeOrCurrent(electionId: string, requested: number | undefined, name: string): Promise<number> {
    if (requested === undefined) return this.size(electionId);
    checkIndex(requested, name);
    return requested;
  }

  /** One read of the plan's subtrees, checked against the log's size in the same snapshot. */
  private async answer<T>(electionId: string, size: number, plan: SubtreePlan<T>): Promise<T> {
    if (plan.subtrees.length === 0 && size === 0) return plan.resolve([]);
    const { found, treeSize: current } = await readSubtrees(this.sql, electionId, plan.subtrees);
    if (size > current) throw invalid(`the log has ${current} leaves, not ${size}`);
    return plan.resolve(found);
  }
}

/** Locks the election's tree row (creating it on the first append) and returns its size. */
async function lock(tx: Tx, electionId: string): Promise<number> {
  let [row] = (await tx.unsafe(lockTree, [electionId], prepared)) as unknown as { size: string }[];
  if (!row) {
    await tx.unsafe(createTree, [electionId], prepared);
    [row] = (await tx.unsafe(lockTree, [electionId], prepared)) as unknown as { size: string }[];
  }
  return Number(row!.size);
}

async function readSubtrees(
  runner: Runner,
  electionId: string,
  refs: readonly SubtreeRef[],
): Promise<{ found: Subtree[]; treeSize: number }> {
  const rows = (await runner.unsafe(
    readNodes,
    [electionId, refs.map((r) => r.level), refs.map((r) => r.index)] as never[],
    prepared,
  )) as unknown as { size: string; level: number | null; node_index: string | null; hash: Uint8Array | null }[];
  const found: Subtree[] = [];
  for (const row of rows) {
    if (row.hash) found.push({ level: row.level!, index: Number(row.node_index), hash: row.hash });
  }
  return { found, treeSize: rows[0] ? Number(rows[0].size) : 0 };
}
