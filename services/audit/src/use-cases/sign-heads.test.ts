import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, createMetrics } from '@onevote/platform';
import { newHeadKey } from '../domain/tree-head.ts';
import { createAuditMetrics } from '../metrics.ts';
import { type HeadSignerDeps, HeadSigner } from './sign-heads.ts';

const age = async (metrics: ReturnType<typeof createMetrics>) => {
  const text = await metrics.registry.getSingleMetricAsString('audit_unsigned_leaf_age_seconds');
  return Number(/^audit_unsigned_leaf_age_seconds\{[^}]*\} (\S+)$/m.exec(text)![1]);
};

test('audit_unsigned_leaf_age_seconds: 0 while every leaf is under a signed head, growing while signing fails', async () => {
  const metrics = createMetrics('audit');
  let failing = true;
  const saved: unknown[] = [];
  const { key } = newHeadKey('k1');
  const signer = new HeadSigner({
    tree: {
      root: async () => {
        if (failing) throw new Error('database away');
        return { treeSize: 1, rootHash: new Uint8Array(32) };
      },
    },
    heads: { save: async (h: unknown) => void saved.push(h), unsigned: async () => [], awaitingFinal: async () => [] },
    keys: { current: async () => key },
    finalResults: async () => undefined,
    metrics: createAuditMetrics(metrics),
    logger: createLogger('audit', 'silent'),
    intervalMs: 1000,
    finalCheckMs: 60_000,
  } as unknown as HeadSignerDeps);

  assert.equal(await age(metrics), 0, 'nothing appended yet');
  signer.grew('e1', [{ publishedAt: Date.now(), committedAt: Date.now() }]);
  await signer.tick(); // fails: the leaf stays unsigned
  // The age is read from the clock at scrape time: it grows as soon as a millisecond has passed.
  const deadline = Date.now() + 1000;
  while ((await age(metrics)) === 0 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
  assert.ok((await age(metrics)) > 0, 'a leaf waits for its head');
  failing = false;
  await signer.tick();
  assert.equal(saved.length, 1);
  assert.equal(await age(metrics), 0, 'signed: nothing waits');
});
