// Two audit replicas sign heads of the same election (issue 18): each signs after its own appends,
// reading the root from PostgreSQL. One that read a smaller root may save its head after the other
// saved a larger one; the head served must never shrink (a verifier that saw the larger head would
// report "the log shrank"). Real PostgreSQL, the real repositories and signers; only the moment the
// slower replica saves is held back by the test.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLogger, createMetrics, KeyVault, migrate, type Sql } from '@onevote/platform';
import { freshDatabase } from '@onevote/stack/testing';
import postgres from 'postgres';
import { HeadKeysRepository } from '../src/adapters/head-keys.repository.ts';
import { HeadsRepository } from '../src/adapters/heads.repository.ts';
import { MerkleRepository } from '../src/adapters/merkle.repository.ts';
import { createAuditMetrics } from '../src/metrics.ts';
import { HeadSigner } from '../src/use-cases/sign-heads.ts';

let sql: Sql;
before(async () => {
  const db = await freshDatabase();
  sql = postgres(db.urls.audit!, { max: 4, onnotice: () => {} }) as unknown as Sql;
  await migrate(sql, {
    schema: 'audit',
    dir: fileURLToPath(new URL('../migrations', import.meta.url)),
    logger: createLogger('test', 'silent'),
  });
});
after(async () => {
  await sql?.end({ timeout: 1 });
});

const logger = createLogger('audit', 'silent');
// One vault for the database: the first key made is sealed with it.
const sealed = new KeyVault(randomBytes(32).toString('base64url'));
const vault = () => sealed;

function replica(tree: Pick<MerkleRepository, 'root'>, keys: HeadKeysRepository) {
  return new HeadSigner({
    tree: tree as MerkleRepository,
    heads: new HeadsRepository(sql),
    keys,
    finalResults: async () => undefined,
    metrics: createAuditMetrics(createMetrics('audit')),
    logger,
    intervalMs: 500,
    finalCheckMs: 60_000,
  });
}

const events = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => ({ leaf: new TextEncoder().encode(`event ${from + i}`), kind: 'event', key: `seq:${from + i}` }));

test('a head signed late from a smaller root does not replace the larger one as the head served', async () => {
  const electionId = randomUUID();
  const tree = new MerkleRepository(sql);
  const heads = new HeadsRepository(sql);
  const keys = new HeadKeysRepository(sql, vault());
  await tree.append(electionId, events(0, 3));

  // Replica A reads the root (size 3) and is then held back before it saves its head.
  let release = () => {};
  const held = new Promise<void>((r) => (release = r));
  let readRoot = () => {};
  const rootRead = new Promise<void>((r) => (readRoot = r));
  const slow = replica(
    {
      root: async (id: string) => {
        const root = await tree.root(id);
        readRoot();
        await held;
        return root;
      },
    },
    keys,
  );
  const fast = replica(tree, keys);
  slow.grew(electionId, []);
  const slowTick = slow.tick();
  await rootRead;

  // Meanwhile replica B appends two more leaves and signs size 5.
  await tree.append(electionId, events(3, 2));
  fast.grew(electionId, []);
  await fast.tick();
  assert.equal((await heads.newest(electionId))!.treeSize, 5);

  release();
  await slowTick; // A saves its head of size 3, signed after B's
  const stored = (await sql.unsafe('select tree_size from audit.heads where election_id = $1 order by signed_at', [
    electionId,
  ])) as unknown as { tree_size: string }[];
  assert.deepEqual(
    stored.map((r) => Number(r.tree_size)),
    [5, 3],
    'both heads are kept (each is a size a consistency proof may be asked from)',
  );
  assert.equal((await heads.newest(electionId))!.treeSize, 5, 'the head served is still the larger one');
});

test('of heads of the same size, the final one is served', async () => {
  const electionId = randomUUID();
  const tree = new MerkleRepository(sql);
  const heads = new HeadsRepository(sql);
  const keys = new HeadKeysRepository(sql, vault());
  await tree.append(electionId, events(0, 2));
  const signer = replica(tree, keys);
  signer.grew(electionId, []);
  await signer.tick();
  const key = await keys.current();
  const { signHead } = await import('../src/domain/tree-head.ts');
  const { rootHash } = await tree.root(electionId);
  // A final head, then another replica's ordinary head of the same size with a later timestamp.
  const at = Date.now();
  for (const [final, offset] of [
    [true, 0],
    [false, 1000],
  ] as const) {
    await heads.save(
      signHead(key, {
        electionId,
        treeSize: 2,
        rootHash: Buffer.from(rootHash).toString('base64url'),
        timestamp: new Date(at + offset).toISOString(),
        final,
      }),
    );
  }
  assert.equal((await heads.newest(electionId))!.final, true);
});
