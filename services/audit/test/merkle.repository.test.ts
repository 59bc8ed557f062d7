// The audit log's Merkle store against real PostgreSQL with the real migration: appends with
// redeliveries, proofs checked with RFC 9162's own verification algorithms (test/rfc9162-reference.ts,
// which shares no code with src/), and the number of statements a proof costs at 100,000 leaves.
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger, isAppError, migrate, type Sql } from '@onevote/platform';
import { freshDatabase } from '@onevote/stack/testing';
import postgres from 'postgres';
import { type LeafToAppend, MerkleRepository } from '../src/adapters/merkle.repository.ts';
import { refLeafHash, refRoot, verifyConsistency, verifyInclusion } from './rfc9162-reference.ts';

interface Statement {
  text: string;
  params: unknown[];
}

let sql: Sql;
let inspector: postgres.Sql;
let repo: MerkleRepository;
// Every statement the repository's client sends (postgres.js calls `debug` once per query).
let statementCount = 0;
let recorded: Statement[] | undefined;

before(async () => {
  const db = await freshDatabase();
  sql = postgres(db.urls.audit!, {
    max: 4,
    onnotice: () => {},
    debug: (_connection, text, params) => {
      statementCount += 1;
      recorded?.push({ text, params });
    },
  }) as unknown as Sql;
  inspector = postgres(db.urls.audit!, { max: 1, onnotice: () => {} });
  await migrate(sql, {
    schema: 'audit',
    dir: fileURLToPath(new URL('../migrations', import.meta.url)),
    logger: createLogger('test', 'silent'),
  });
  repo = new MerkleRepository(sql);
});
after(async () => {
  await sql?.end({ timeout: 1 });
  await inspector?.end({ timeout: 1 });
});

const questionId = randomUUID();
const optionIds = [randomUUID(), randomUUID()];
const ballotHashOf = (receiptId: string) => createHash('sha256').update(receiptId, 'utf8').digest('base64url');
const utf8 = (value: unknown) => new Uint8Array(Buffer.from(JSON.stringify(value), 'utf8'));

function aBallotLeaf(electionId: string, n = 0): LeafToAppend {
  const ballot = ballotHashOf(randomUUID());
  const leaf = utf8({
    v: 1,
    kind: 'ballot',
    electionId,
    ballot,
    selections: [{ questionId, optionIds: [optionIds[n % 2]] }],
    countedAt: new Date(Date.UTC(2030, 0, 1) + n).toISOString(),
  });
  return { leaf, kind: 'ballot', key: ballot };
}

const anEventLeaf = (electionId: string, event: string): LeafToAppend => ({
  leaf: utf8({ v: 1, kind: 'event', electionId, event, at: new Date().toISOString() }),
  kind: 'event',
});

const aVoidLeaf = (electionId: string, ballotHash: string): LeafToAppend => ({
  leaf: utf8({ v: 1, kind: 'void', electionId, ballot: ballotHash, reason: 'fraud review', at: new Date().toISOString() }),
  kind: 'void',
  key: ballotHash,
});

const ballots = (electionId: string, n: number) => Array.from({ length: n }, (_, i) => aBallotLeaf(electionId, i));
const hex = (value: Uint8Array) => Buffer.from(value).toString('hex');

async function counted<T>(work: () => Promise<T>): Promise<{ result: T; statements: number }> {
  const before = statementCount;
  const result = await work();
  return { result, statements: statementCount - before };
}

function invalidRequest(err: unknown) {
  return isAppError(err) && err.code === 'invalid_request';
}

describe('appending', () => {
  it('a redelivered ballot is not appended again: the batch says where it is and the size does not move', async () => {
    const election = randomUUID();
    const [b1, b2, b3] = ballots(election, 3) as [LeafToAppend, LeafToAppend, LeafToAppend];
    const opened = anEventLeaf(election, 'opened');

    const first = await repo.append(election, [opened, b1, b2]);
    assert.deepEqual(first, {
      treeSize: 3,
      placed: [0, 1, 2].map((leafIndex) => ({ leafIndex, alreadyLogged: false })),
    });
    // b2 and b1 redelivered, b3 twice in the same batch.
    const second = await repo.append(election, [b2, b3, b3, b1]);
    assert.deepEqual(second, {
      treeSize: 4,
      placed: [
        { leafIndex: 2, alreadyLogged: true },
        { leafIndex: 3, alreadyLogged: false },
        { leafIndex: 3, alreadyLogged: true },
        { leafIndex: 1, alreadyLogged: true },
      ],
    });
    const replay = await repo.append(election, [b1, b2, b3]);
    assert.deepEqual(replay, { treeSize: 4, placed: [1, 2, 3].map((leafIndex) => ({ leafIndex, alreadyLogged: true })) });
    assert.equal(await repo.size(election), 4);

    const entries = await repo.entries(election, 0, 10);
    assert.deepEqual(
      entries.map((e) => [e.leafIndex, hex(e.leaf)]),
      [opened, b1, b2, b3].map((l, i) => [i, hex(l.leaf)]),
    );
    const { rootHash } = await repo.root(election);
    assert.equal(hex(rootHash), hex(refRoot([opened, b1, b2, b3].map((l) => refLeafHash(l.leaf)))));

    // A void leaf cancels b1 later in the log; b1's own leaf stays where it was.
    const voided = await repo.append(election, [aVoidLeaf(election, b1.key!)]);
    assert.equal(voided.treeSize, 5);
    assert.equal((await repo.inclusionProofForBallot(election, b1.key!))?.leafIndex, 1);

    const [stored] = await inspector`
      select (select count(*) from audit.leaves where election_id = ${election})::int as leaves,
             (select count(*) from audit.nodes where election_id = ${election})::int as nodes`;
    // 5 leaves: 2 complete pairs and 1 complete four (level 0 is each leaf's own leaf_hash).
    assert.deepEqual(stored, { leaves: 5, nodes: 3 });
  });

  it('logs are per election: the same ballot hash in another election is its own leaf there', async () => {
    const [a, b] = [randomUUID(), randomUUID()];
    const leaf = aBallotLeaf(a);
    await repo.append(a, [leaf]);
    const elsewhere = await repo.append(b, [{ ...leaf }]);
    assert.deepEqual(elsewhere, { treeSize: 1, placed: [{ leafIndex: 0, alreadyLogged: false }] });
    assert.equal(await repo.size(a), 1);
    assert.equal(await repo.size(randomUUID()), 0);
    assert.equal(hex((await repo.root(randomUUID())).rootHash), hex(refRoot([])));
  });

  it('concurrent batches for one election take turns: no gap, no duplicate, a root over what landed', async () => {
    const election = randomUUID();
    const leaves = ballots(election, 200);
    const overlapping = [leaves.slice(0, 120), leaves.slice(80, 200), leaves.slice(40, 160), leaves.slice(150, 200)];
    const results = await Promise.all(overlapping.map((batch) => new MerkleRepository(sql).append(election, batch)));

    assert.equal(await repo.size(election), 200);
    assert.equal(results.flatMap((r) => r.placed).filter((p) => !p.alreadyLogged).length, 200);
    const entries = await repo.entries(election, 0, 1000);
    assert.deepEqual(
      entries.map((e) => e.leafIndex),
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.deepEqual(new Set(entries.map((e) => hex(e.leaf))), new Set(leaves.map((l) => hex(l.leaf))));
    const { rootHash } = await repo.root(election);
    assert.equal(hex(rootHash), hex(refRoot(entries.map((e) => refLeafHash(e.leaf)))));
  });

  it('a ballot leaf without its ballot hash is refused and nothing is written', async () => {
    const election = randomUUID();
    await repo.append(election, ballots(election, 2));
    await assert.rejects(repo.append(election, [aBallotLeaf(election), { leaf: utf8({}), kind: 'ballot' }]), /needs its key/);
    assert.equal(await repo.size(election), 2);
  });
});

describe('a 1,000-leaf log', () => {
  const election = randomUUID();
  const leaves = ballots(election, 1000);
  const hashes = leaves.map((l) => refLeafHash(l.leaf));
  // MTH of every prefix, computed from the leaves alone.
  const roots = Array.from({ length: 1001 }, (_, n) => refRoot(hashes.slice(0, n)));
  const heads: number[] = [];

  before(async () => {
    let next = 0;
    for (const size of [1, 7, 64, 3, 250, 2, 128, 45, 500]) {
      const batch = leaves.slice(next, next + size);
      const { treeSize } = await repo.append(election, batch);
      next += batch.length;
      heads.push(treeSize);
    }
    assert.equal(next, 1000);
  });

  it('every head on the way had the root of its prefix', async () => {
    for (const size of heads) assert.equal(hex((await repo.root(election, size)).rootHash), hex(roots[size]!));
    for (let size = 0; size <= 1000; size += 1) {
      assert.equal(hex((await repo.root(election, size)).rootHash), hex(roots[size]!), `root of ${size}`);
    }
  });

  it('every leaf has an inclusion proof that verifies against the final root, by index and by ballot', async () => {
    for (let i = 0; i < 1000; i += 1) {
      const proof = await repo.inclusionProof(election, i, 1000);
      assert.equal(hex(proof.leaf), hex(leaves[i]!.leaf));
      assert.equal(hex(proof.leafHash), hex(hashes[i]!));
      const ok = verifyInclusion({ leafIndex: i, treeSize: 1000, leafHash: hashes[i]!, auditPath: proof.auditPath, rootHash: roots[1000]! });
      assert.ok(ok, `leaf ${i}`);
      const byBallot = await repo.inclusionProofForBallot(election, leaves[i]!.key!);
      assert.deepEqual(
        [byBallot?.leafIndex, byBallot?.treeSize, hex(byBallot!.leaf), byBallot?.auditPath.map(hex)],
        [i, 1000, hex(proof.leaf), proof.auditPath.map(hex)],
      );
      // The same path proves nothing against another root.
      const other = verifyInclusion({ leafIndex: i, treeSize: 1000, leafHash: hashes[i]!, auditPath: proof.auditPath, rootHash: roots[999]! });
      assert.ok(!other, `leaf ${i} against the root of 999`);
    }
  });

  it('leaves have inclusion proofs against every earlier head, and none before they were logged', async () => {
    for (const size of [...heads, 2, 513, 999]) {
      for (let i = 0; i < size; i += i < 8 ? 1 : 13) {
        const { auditPath } = await repo.inclusionProof(election, i, size);
        assert.ok(verifyInclusion({ leafIndex: i, treeSize: size, leafHash: hashes[i]!, auditPath, rootHash: roots[size]! }), `leaf ${i} of ${size}`);
      }
    }
    assert.equal(await repo.inclusionProofForBallot(election, leaves[500]!.key!, 500), undefined);
    assert.equal((await repo.inclusionProofForBallot(election, leaves[500]!.key!, 501))?.leafIndex, 500);
    assert.equal(await repo.inclusionProofForBallot(election, ballotHashOf(randomUUID())), undefined);
  });

  it('consistency proofs between many pairs of sizes verify against the roots of those sizes', async () => {
    const pairs: [number, number][] = [];
    for (let to = 0; to <= 40; to += 1) for (let from = 0; from <= to; from += 1) pairs.push([from, to]);
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let k = 0; k < 400; k += 1) {
      const [x, y] = [random(1001), random(1001)];
      pairs.push([Math.min(x, y), Math.max(x, y)]);
    }
    pairs.push([1, 1000], [512, 1000], [513, 1000], [999, 1000], [1000, 1000], [0, 1000]);
    for (let h = 1; h < heads.length; h += 1) pairs.push([heads[h - 1]!, heads[h]!]);
    for (const [from, to] of pairs) {
      const { proof } = await repo.consistencyProof(election, from, to);
      const input = { first: from, second: to, firstHash: roots[from]!, secondHash: roots[to]!, proof };
      assert.ok(verifyConsistency(input), `${from} -> ${to}`);
      if (from > 0 && from < to) {
        assert.ok(!verifyConsistency({ ...input, firstHash: roots[from - 1]! }), `${from} -> ${to} from another root`);
      }
    }
    assert.deepEqual(await repo.consistencyProof(election, 300), await repo.consistencyProof(election, 300, 1000));
  });

  it('bad sizes and ranges are invalid_request and change nothing', async () => {
    const calls = [
      () => repo.inclusionProof(election, 1000, 1000),
      () => repo.inclusionProof(election, 5, 1001),
      () => repo.inclusionProof(election, -1),
      () => repo.inclusionProofForBallot(election, leaves[0]!.key!, 1001),
      () => repo.consistencyProof(election, 5, 3),
      () => repo.consistencyProof(election, 3, 1001),
      () => repo.consistencyProof(election, 0, 1001),
      () => repo.consistencyProof(election, 1.5, 3),
      () => repo.root(election, 1001),
      () => repo.entries(election, 0, 1001),
      () => repo.entries(election, 5, 3),
      () => repo.entries(election, -1, 3),
    ];
    for (const call of calls) await assert.rejects(call(), invalidRequest, call.toString());
    assert.equal(await repo.size(election), 1000);
  });

  it('entries serve the exact bytes, at most 1,000 per call, and end at the log', async () => {
    const page = await repo.entries(election, 990, 1990);
    assert.deepEqual(
      page.map((e) => [e.leafIndex, hex(e.leaf)]),
      leaves.slice(990).map((l, i) => [990 + i, hex(l.leaf)]),
    );
    assert.equal((await repo.entries(election, 0, 1000)).length, 1000);
    assert.deepEqual(await repo.entries(election, 1000, 1000), []);
  });
});

interface PlanNode {
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  Plans?: PlanNode[];
}

/** Table rows a statement read (returned by a scan or filtered out), from EXPLAIN ANALYZE. */
function rowsRead(node: PlanNode): number {
  const own = node['Relation Name']
    ? (node['Actual Rows'] + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * node['Actual Loops']
    : 0;
  return own + (node.Plans ?? []).reduce((sum, child) => sum + rowsRead(child), 0);
}

/** Runs a recorded read-only statement again under EXPLAIN ANALYZE. */
async function explain(statement: Statement): Promise<{ rows: number; buffers: number }> {
  const [row] = await inspector.unsafe(`explain (analyze, buffers, format json) ${statement.text}`, statement.params as never[]);
  const plan = (row as unknown as { 'QUERY PLAN': [{ Plan: PlanNode }] })['QUERY PLAN'][0].Plan;
  return { rows: rowsRead(plan), buffers: plan['Shared Hit Blocks'] + plan['Shared Read Blocks'] };
}

async function recording(work: () => Promise<unknown>): Promise<Statement[]> {
  recorded = [];
  try {
    await work();
    return recorded;
  } finally {
    recorded = undefined;
  }
}

describe('a 100,000-leaf log', () => {
  const election = randomUUID();
  const size = 100_000;
  const batchSize = 500;
  const leaves = ballots(election, size);
  const hashes = leaves.map((l) => refLeafHash(l.leaf));

  it('appends in batches of 500, each one transaction of six statements that read O(batch) rows', async (t) => {
    const started = process.hrtime.bigint();
    const statements: number[] = [];
    let lastBatch: Statement[] = [];
    for (let next = 0; next < size; next += batchSize) {
      const batch = leaves.slice(next, next + batchSize);
      if (next + batchSize < size) {
        statements.push((await counted(() => repo.append(election, batch))).statements);
      } else {
        lastBatch = await recording(() => repo.append(election, batch));
        statements.push(lastBatch.length);
      }
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    assert.equal(await repo.size(election), size);
    // begin, lock, (create, lock again: the first batch only), logged ballots, frontier, write, commit.
    assert.equal(statements[0], 8);
    assert.deepEqual(new Set(statements.slice(1)), new Set([6]));

    // The redelivery check and the frontier read of the last batch, at 99,500 leaves: rows read
    // follow the batch, not the log (one index lookup per ballot, one per frontier node).
    const dedupe = await explain(lastBatch.find((s) => s.text.includes('audit.leaves') && !s.text.includes('insert'))!);
    assert.ok(dedupe.rows <= batchSize, `redelivery check read ${dedupe.rows} rows`);
    const frontier = await explain(lastBatch.find((s) => s.text.includes('audit.nodes') && !s.text.includes('insert'))!);
    assert.ok(frontier.rows <= 1 + 17, `frontier read ${frontier.rows} rows`);

    const [stored] = await inspector`
      select pg_total_relation_size('audit.nodes')::float8 as nodes, pg_total_relation_size('audit.leaves')::float8 as leaves,
             pg_indexes_size('audit.nodes')::float8 as node_index,
             (select count(*) from audit.leaves)::int as all_leaves,
             (select count(*) from audit.nodes where election_id = ${election})::int as node_rows`;
    // n leaves have 2n - popcount(n) complete subtrees; n of them are the leaves themselves.
    assert.equal(stored!.node_rows, size - 6);
    t.diagnostic(`append: ${(size / seconds).toFixed(0)} leaves/s in batches of ${batchSize} (${seconds.toFixed(1)} s)`);
    t.diagnostic(`append at 99,500 leaves: redelivery check ${dedupe.rows} rows/${dedupe.buffers} buffers, frontier ${frontier.rows} rows/${frontier.buffers} buffers`);
    t.diagnostic(
      `storage with indexes: audit.nodes ${(stored!.nodes / stored!.all_leaves).toFixed(0)} B/leaf (primary key ${(stored!.node_index / stored!.all_leaves).toFixed(0)}), audit.leaves ${(stored!.leaves / stored!.all_leaves).toFixed(0)} B/leaf (leaf JSON ${leaves[0]!.leaf.length} B)`,
    );
  });

  it('a full recomputation from the streamed entries gives the stored root, one bounded batch at a time', async (t) => {
    const recomputed: Uint8Array[] = [];
    let batches = 0;
    let next = 0;
    for await (const batch of repo.entryBatches(election, { batchSize: 1000 })) {
      assert.ok(batch.length <= 1000);
      for (const entry of batch) {
        assert.equal(entry.leafIndex, next);
        next += 1;
        recomputed.push(refLeafHash(entry.leaf));
      }
      batches += 1;
    }
    assert.equal(next, size);
    const { rootHash } = await repo.root(election);
    assert.equal(hex(refRoot(recomputed)), hex(rootHash));
    assert.equal(hex(rootHash), hex(refRoot(hashes)));
    t.diagnostic(`streamed ${size} entries in ${batches} batches`);
  });

  it('head, inclusion and consistency proofs are one or two statements reading O(log n) rows, and verify', async (t) => {
    const root = refRoot(hashes);
    const probes = 300;
    let seed = 11;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;

    const head = await counted(() => repo.root(election));
    assert.equal(head.statements, 2, 'current head: size, then nodes');
    assert.equal(hex(head.result.rootHash), hex(root));

    const timings = { head: 0n, inclusion: 0n, ballot: 0n, consistency: 0n };
    const time = async <T>(name: keyof typeof timings, work: () => Promise<T>) => {
      const started = process.hrtime.bigint();
      const { result, statements } = await counted(work);
      timings[name] += process.hrtime.bigint() - started;
      return { result, statements };
    };
    for (let k = 0; k < probes; k += 1) {
      const i = random(size);
      const m = 1 + random(size - 1);
      const at = await time('head', () => repo.root(election, m));
      assert.equal(at.statements, 1, 'head of a given size');
      const inclusion = await time('inclusion', () => repo.inclusionProof(election, i, size));
      assert.equal(inclusion.statements, 2, 'inclusion by index: nodes, leaf');
      assert.ok(verifyInclusion({ leafIndex: i, treeSize: size, leafHash: hashes[i]!, auditPath: inclusion.result.auditPath, rootHash: root }), `leaf ${i}`);
      const byBallot = await time('ballot', () => repo.inclusionProofForBallot(election, leaves[i]!.key!, size));
      assert.equal(byBallot.statements, 2, 'inclusion by ballot: leaf, nodes');
      assert.deepEqual(byBallot.result?.auditPath.map(hex), inclusion.result.auditPath.map(hex));
      const consistency = await time('consistency', () => repo.consistencyProof(election, m, size));
      assert.equal(consistency.statements, 1, 'consistency');
      const firstHash = at.result.rootHash;
      assert.ok(verifyConsistency({ first: m, second: size, firstHash, secondHash: root, proof: consistency.result.proof }), `${m} -> ${size}`);
      // That head's own proofs, too: a leaf below m against the root of m.
      const j = random(m);
      const { auditPath } = await repo.inclusionProof(election, j, m);
      assert.ok(verifyInclusion({ leafIndex: j, treeSize: m, leafHash: hashes[j]!, auditPath, rootHash: firstHash }), `leaf ${j} of ${m}`);
    }
    const ms = (ns: bigint) => (Number(ns) / 1e6 / probes).toFixed(2);
    t.diagnostic(
      `wall time per call at ${size} leaves (mean of ${probes}): head ${ms(timings.head)} ms, inclusion ${ms(timings.inclusion)} ms, by ballot ${ms(timings.ballot)} ms, consistency ${ms(timings.consistency)} ms`,
    );

    // What PostgreSQL reads for each: table rows (index lookups) and buffers, statement by statement.
    const calls = [
      ['head of the current size', () => repo.root(election)],
      ['inclusion by index', () => repo.inclusionProof(election, 31_337, size)],
      ['inclusion by ballot', () => repo.inclusionProofForBallot(election, leaves[77_777]!.key!, size)],
      ['consistency', () => repo.consistencyProof(election, 65_537, size)],
    ] as const;
    for (const [name, work] of calls) {
      const statements = await recording(work);
      const plans = await Promise.all(statements.map(explain));
      const rows = plans.reduce((sum, p) => sum + p.rows, 0);
      // At most 2·17 + 1 nodes, the tree row, and the leaf.
      assert.ok(rows <= 2 * 17 + 1 + 2, `${name}: ${rows} rows`);
      t.diagnostic(
        `${name}: ${statements.length} statement(s), ${rows} rows read (${plans.map((p) => p.rows).join(' + ')}), ${plans.reduce((sum, p) => sum + p.buffers, 0)} buffers`,
      );
    }
  });
});
