/**
 * results on two vote shard groups (issue 18): the tally is the sum over the election's groups, its
 * version only grows, and a group that is down leaves the other group's ballots live.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TokenIssuer } from '@onevote/auth/client';
import { type ElectionConfig, ElectionConfigPublisher, openElectionsBucket } from '@onevote/election-config';
import { bootService, connectNats, createLogger, createPostgres, migrate, type Sql } from '@onevote/platform';
import { repoRoot } from '@onevote/stack';
import { freshShardedDatabase, testInfra, testShardServers, uniqueName, waitFor } from '@onevote/stack/testing';
// Ballots are written as vote-api writes them, with its own commit statement.
import { BallotStore } from '../../vote-api/src/adapters/ballot-store.ts';
import { resultsService } from '../src/service.ts';
import { anElection } from './harness.ts';

const logger = createLogger('results-shards-test', 'silent');

describe('results over two shard groups', () => {
  let writers: Sql[];
  let stores: BallotStore[];
  let publisher: ElectionConfigPublisher;
  let service: Awaited<ReturnType<typeof bootService<typeof resultsService.configSchema, { app: import('@onevote/platform').App }>>>;
  let issuer: TokenIssuer;
  let closeNats: () => Promise<void>;

  before(async () => {
    const infra = await testInfra();
    const db = await freshShardedDatabase(2);
    writers = db.urls.map((urls, i) => createPostgres(urls['vote-api']!, { applicationName: `writer ${i}`, max: 2, connectTimeoutMs: 500 }));
    for (const writer of writers) await migrate(writer, { schema: 'votes', dir: join(repoRoot, 'services/vote-api/migrations'), logger });
    stores = writers.map((sql) => new BallotStore(sql, { slots: 4 }));
    const nc = await connectNats(infra.natsUrl, 'results-shards-test', logger);
    closeNats = () => nc.drain();
    const bucket = uniqueName('elections');
    publisher = new ElectionConfigPublisher(await openElectionsBucket(nc, bucket, { create: true }));
    issuer = await TokenIssuer.start();
    service = await bootService(resultsService, {
      env: {
        PORT: '0',
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.urls[0]!.results!,
        VOTE_SHARD_URLS: db.shardUrls.results!,
        REDIS_URL: infra.redisUrl,
        NATS_URL: infra.natsUrl,
        ELECTIONS_BUCKET: bucket,
        TRUSTED_ISSUERS: JSON.stringify([issuer.trustEntry]),
        // No TallyChanged in this test: the periodic re-read is what brings each change.
        REREAD_INTERVAL_MS: '200',
      },
    });
  });
  after(async () => {
    await service.close();
    await issuer.stop();
    await closeNats();
    await Promise.all(writers.map((w) => w.end({ timeout: 1 })));
  });

  /** Commits `n` ballots for option `option` on shard group `group`, as vote-api's group commit does. */
  async function count(election: ElectionConfig, group: number, n: number, option = 0) {
    const question = election.questions[0]!;
    await stores[group]!.commit(
      Array.from({ length: n }, () => ({
        electionId: election.id,
        voterId: randomUUID(),
        receiptId: randomUUID(),
        idempotencyKey: randomUUID(),
        selections: [{ questionId: question.id, optionIds: [question.options[option]!.id] }],
      })),
    );
  }

  async function results(election: ElectionConfig) {
    const res = await fetch(`${service.url}/v1/elections/${election.id}/results`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { totalBallots: number; questions: { options: { votes: number }[] }[] };
    return { total: body.totalBallots, votes: body.questions[0]!.options.map((o) => o.votes), etag: res.headers.get('etag') };
  }

  test('the tally is the sum over both groups; an election without a shard count reads group 0 only', async () => {
    const election = anElection({ shards: 2 });
    await publisher.publish(election);
    await count(election, 0, 3, 0);
    await count(election, 1, 5, 1);
    await waitFor('results to sum both groups', async () => (await results(election)).total === 8);
    assert.deepEqual((await results(election)).votes, [3, 5]);

    // Ballots of a one-group election are on group 0: rows on group 1 (there by mistake) are not its.
    const old = anElection();
    await publisher.publish(old);
    await count(old, 0, 2, 0);
    await count(old, 1, 4, 0);
    await waitFor('the one-group election', async () => (await results(old)).total === 2);
  });

  test('a group down: the other group keeps counting live (the down group stands in with its last read); back, it is summed again', async () => {
    const election = anElection({ shards: 2 });
    await publisher.publish(election);
    await count(election, 0, 2);
    await count(election, 1, 3);
    await waitFor('both groups read', async () => (await results(election)).total === 5);
    const before = await results(election);

    const [server1] = await testShardServers();
    await server1!.stop();
    try {
      await count(election, 0, 4);
      await waitFor('group 0 ballots live while group 1 is down', async () => (await results(election)).total === 9, { timeoutMs: 10_000 });
      const during = await results(election);
      assert.notEqual(during.etag, before.etag, 'a new version');
      assert.equal((await fetch(`${service.opsUrl}/readyz`)).status, 200, 'ready: one group answers');
    } finally {
      await server1!.start();
    }
    await count(election, 1, 1, 1);
    await waitFor('group 1 summed again', async () => (await results(election)).total === 10, { timeoutMs: 10_000 });
    assert.deepEqual((await results(election)).votes, [9, 1]);
  });
});
