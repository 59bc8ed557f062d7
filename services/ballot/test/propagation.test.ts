import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { ElectionConfigCache, openElectionsBucket } from '@onevote/election-config';
import { connectNats, createLogger } from '@onevote/platform';
import { freePort, NatsServer } from '@onevote/stack';
import { freshDatabase, testDir, testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import { anAdmin, anElection, client, type RunningBallot, startBallot } from './support.ts';
import { startWatcherProcess } from './support-watcher.ts';

describe('propagation to the elections KV bucket', () => {
  let issuer: TokenIssuer;
  let admin: TestVoter;

  before(async () => {
    issuer = await TokenIssuer.start();
    admin = await anAdmin(issuer);
  });
  after(() => issuer?.stop());

  test('a KV watcher in another process sees an election open and close', async () => {
    const db = await freshDatabase();
    const bucket = uniqueName('elections');
    const ballot = await startBallot({ databaseUrl: db.urls.ballot!, bucket, issuer });
    const watcher = await startWatcherProcess((await testInfra()).natsUrl, bucket);
    try {
      const call = client(ballot.base);
      const { id } = (await call('POST', '/v1/elections', { as: admin, body: anElection() })).body;
      assert.equal((await call('POST', `/v1/elections/${id}/open`, { as: admin })).status, 200);
      await waitFor('watcher sees open', () => watcher.seen(id, 'open') !== undefined, { timeoutMs: 10_000 });
      assert.equal((await call('POST', `/v1/elections/${id}/close`, { as: admin })).status, 200);
      await waitFor('watcher sees closed', () => watcher.seen(id, 'closed') !== undefined, {
        timeoutMs: 10_000,
      });
      assert.equal(watcher.seen(id, 'closed')!.revision, 3);
    } finally {
      await watcher.stop();
      await ballot.stop();
    }
  });

  test('a change committed while NATS is down reaches the bucket once NATS is back', async () => {
    const nats = new NatsServer(testDir('nats'), await freePort());
    await nats.start();
    const db = await freshDatabase();
    const bucket = uniqueName('elections');
    const ballot: RunningBallot = await startBallot({
      databaseUrl: db.urls.ballot!,
      bucket,
      issuer,
      natsUrl: nats.url,
    });
    const logger = createLogger('watcher', 'silent');
    const nc = await connectNats(nats.url, 'watcher', logger);
    const cache = await ElectionConfigCache.start(await openElectionsBucket(nc, bucket, { create: true }), {
      logger,
      resyncIntervalMs: 500,
    });
    try {
      const call = client(ballot.base);
      const { id } = (await call('POST', '/v1/elections', { as: admin, body: anElection() })).body;
      await waitFor('draft cached', () => cache.get(id)?.status === 'draft', { timeoutMs: 10_000 });

      await nats.stop();
      // The database is the source of truth: the open commits and answers although publishing fails.
      const opened = await call('POST', `/v1/elections/${id}/open`, { as: admin });
      assert.equal(opened.status, 200);
      assert.equal(cache.get(id)?.status, 'draft');

      await nats.start();
      await waitFor('open reaches the cache after the outage', () => cache.get(id)?.status === 'open', {
        timeoutMs: 30_000,
      });
      assert.equal(cache.get(id)?.revision, 2);
    } finally {
      await cache.stop();
      await nc.close();
      await ballot.stop();
      await nats.stop();
    }
  });
});
