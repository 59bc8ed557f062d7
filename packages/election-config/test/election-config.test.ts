import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats, createLogger } from '@onevote/platform';
import { freePort, NatsServer } from '@onevote/stack';
import { testDir, testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import {
  type ElectionConfig,
  ElectionConfigCache,
  ElectionConfigPublisher,
  openElectionsBucket,
} from '../src/index.ts';

const logger = createLogger('election-config-test', 'silent');

function aConfig(overrides: Partial<ElectionConfig> = {}): ElectionConfig {
  return {
    id: randomUUID(),
    title: 'An election',
    description: '',
    status: 'draft',
    questions: [
      {
        id: randomUUID(),
        title: 'Q',
        minSelections: 1,
        maxSelections: 1,
        options: [
          { id: randomUUID(), label: 'a' },
          { id: randomUUID(), label: 'b' },
        ],
      },
    ],
    opensAt: null,
    closesAt: null,
    resultsVisibility: 'live',
    requireChallenge: false,
    eligibility: 'open',
    createdAt: new Date().toISOString(),
    revision: 1,
    ...overrides,
  };
}

describe('ElectionConfigPublisher and ElectionConfigCache', () => {
  let nc: NatsConnection;
  let kv: KV;
  let publisher: ElectionConfigPublisher;

  before(async () => {
    nc = await connectNats((await testInfra()).natsUrl, 'election-config-test', logger);
    kv = await openElectionsBucket(nc, uniqueName('elections'), { create: true });
    publisher = new ElectionConfigPublisher(kv);
  });
  after(() => nc?.close());

  test('the bucket only moves forward: an older revision published late does not replace a newer one', async () => {
    const config = aConfig();
    assert.equal(await publisher.publish({ ...config, revision: 2, status: 'open' }), 'written');
    assert.equal(await publisher.publish({ ...config, revision: 1, status: 'draft' }), 'up_to_date');
    assert.equal(await publisher.publish({ ...config, revision: 2, status: 'open' }), 'up_to_date');
    assert.equal((await kv.get(config.id))?.json<ElectionConfig>().status, 'open');
    assert.equal(await publisher.publish({ ...config, revision: 3, status: 'closed' }), 'written');
    assert.equal((await kv.get(config.id))?.json<ElectionConfig>().status, 'closed');
  });

  test('racing publishers of different revisions leave the newest in the bucket', async () => {
    const config = aConfig();
    const outcomes = await Promise.all(
      [5, 3, 4, 1, 2].map((revision) => publisher.publish({ ...config, revision })),
    );
    assert.ok(outcomes.includes('written'));
    assert.equal((await kv.get(config.id))?.json<ElectionConfig>().revision, 5);
  });

  test('a deleted election stays deleted: a late publish does not bring it back', async () => {
    const config = aConfig();
    await publisher.publish(config);
    await publisher.remove(config.id);
    assert.equal(await publisher.publish({ ...config, revision: 2 }), 'deleted');
    assert.equal((await kv.get(config.id))?.operation, 'DEL');
  });

  test('the cache loads existing configs, then follows puts and deletes and tells listeners', async () => {
    const existing = aConfig();
    await publisher.publish(existing);
    const cache = await ElectionConfigCache.start(kv, { logger });
    try {
      assert.equal(cache.get(existing.id)?.title, 'An election');
      const seen: [string, string | undefined][] = [];
      cache.onChange((id, config) => seen.push([id, config?.status]));

      await publisher.publish({ ...existing, revision: 2, status: 'open' });
      await waitFor('open in cache', () => cache.get(existing.id)?.status === 'open', { timeoutMs: 5000 });
      await publisher.remove(existing.id);
      await waitFor('removed from cache', () => cache.get(existing.id) === undefined, { timeoutMs: 5000 });
      assert.deepEqual(seen, [
        [existing.id, 'open'],
        [existing.id, undefined],
      ]);
      assert.ok(!cache.all().some((c) => c.id === existing.id));
    } finally {
      await cache.stop();
    }
  });

  test('a listener that throws neither stops the cache nor the listeners after it', async () => {
    const cache = await ElectionConfigCache.start(kv, { logger });
    try {
      cache.onChange(() => {
        throw new Error('listener bug');
      });
      const heard: string[] = [];
      cache.onChange((id) => heard.push(id));
      const a = aConfig();
      await publisher.publish(a);
      await waitFor('a cached', () => cache.get(a.id) !== undefined, { timeoutMs: 5000 });
      const b = aConfig();
      await publisher.publish(b);
      await waitFor('b cached', () => cache.get(b.id) !== undefined, { timeoutMs: 5000 });
      assert.deepEqual(heard, [a.id, b.id]);
    } finally {
      await cache.stop();
    }
  });
});

describe('ElectionConfigCache across a NATS restart', () => {
  test('after NATS stops and starts again the cache reconnects and sees changes made since', async () => {
    const nats = new NatsServer(testDir('nats'), await freePort());
    await nats.start();
    const bucket = uniqueName('elections');
    const watcherNc = await connectNats(nats.url, 'watcher', logger);
    const cache = await ElectionConfigCache.start(await openElectionsBucket(watcherNc, bucket, { create: true }), {
      logger,
      resyncIntervalMs: 60_000, // the watch itself must recover: no periodic re-read to hide behind
    });
    const publisherNc = await connectNats(nats.url, 'publisher', logger);
    const publisher = new ElectionConfigPublisher(await openElectionsBucket(publisherNc, bucket, { create: true }));
    try {
      const config = aConfig();
      await publisher.publish(config);
      await waitFor('draft cached', () => cache.get(config.id)?.status === 'draft', { timeoutMs: 5000 });

      await nats.stop();
      await nats.start();

      // Both clients reconnect on their own; publishing retries until the server answers.
      await waitFor(
        'publish after restart',
        async () => (await publisher.publish({ ...config, revision: 2, status: 'open' })) !== 'deleted',
        { timeoutMs: 30_000, intervalMs: 250 },
      );
      await waitFor('open cached after restart', () => cache.get(config.id)?.status === 'open', {
        timeoutMs: 30_000,
      });
      const later = aConfig();
      await publisher.publish(later);
      await waitFor('a new election cached', () => cache.get(later.id) !== undefined, { timeoutMs: 30_000 });
    } finally {
      await cache.stop();
      await watcherNc.close();
      await publisherNc.close();
      await nats.stop();
    }
  });
});
