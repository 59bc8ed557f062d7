import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestVoter, TokenIssuer } from '@onevote/auth/client';
import { freshDatabase, uniqueName, waitFor } from '@onevote/stack/testing';
import { anAdmin, anElection, client, type RunningBallot, startBallot } from './support.ts';

describe('schedule with two ballot replicas on one database', () => {
  let issuer: TokenIssuer;
  let replicas: RunningBallot[];
  let admin: TestVoter;

  before(async () => {
    issuer = await TokenIssuer.start();
    const db = await freshDatabase();
    const bucket = uniqueName('elections');
    // Fast ticks on both, so they race for the same due elections as often as possible.
    replicas = await Promise.all(
      [1, 2].map(() => startBallot({ databaseUrl: db.urls.ballot!, bucket, issuer, tickMs: 50 })),
    );
    admin = await anAdmin(issuer);
  });
  after(async () => {
    for (const r of replicas ?? []) await r.stop();
    await issuer?.stop();
  });

  test('elections open at opensAt and close at closesAt exactly once each; history has one entry each', async () => {
    const [a, b] = replicas.map((r) => client(r.base)) as [
      ReturnType<typeof client>,
      ReturnType<typeof client>,
    ];
    const now = Date.now();
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await (i % 2 ? a : b)('POST', '/v1/elections', {
        as: admin,
        body: anElection({
          title: `Scheduled ${i}`,
          opensAt: new Date(now + 1500).toISOString(),
          closesAt: new Date(now + 3000).toISOString(),
        }),
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.status, 'draft');
      ids.push(res.body.id);
    }

    for (const id of ids) {
      await waitFor(
        `${id} closed`,
        async () => (await a('GET', `/v1/elections/${id}`)).body?.status === 'closed',
        {
          timeoutMs: 20_000,
        },
      );
    }
    for (const id of ids) {
      const history = (await b('GET', `/v1/elections/${id}/history`, { as: admin })).body.items as {
        actor: string;
        action: string;
        at: string;
      }[];
      assert.deepEqual(
        history.map((h) => `${h.actor}:${h.action}`),
        [`${admin.voterId}:create`, 'scheduler:open', 'scheduler:close'],
      );
      const election = (await a('GET', `/v1/elections/${id}`)).body;
      // Opened no earlier than opensAt and closed no earlier than closesAt.
      assert.ok(Date.parse(history[1]!.at) >= Date.parse(election.opensAt));
      assert.ok(Date.parse(history[2]!.at) >= Date.parse(election.closesAt));
      // create, open, close: three revisions, no fourth from a duplicate transition.
      assert.equal(election.revision, 3);
      const inKv = await waitForKv(replicas[0]!, id, 3);
      assert.equal(inKv.status, 'closed');
    }
  });

  test('a manual open before opensAt wins; the scheduler does not open it again', async () => {
    const call = client(replicas[0]!.base);
    const created = await call('POST', '/v1/elections', {
      as: admin,
      body: anElection({ opensAt: new Date(Date.now() + 800).toISOString() }),
    });
    const id = created.body.id;
    assert.equal((await call('POST', `/v1/elections/${id}/open`, { as: admin })).status, 200);
    // Wait until opensAt has passed and both schedulers have ticked after it.
    const ticks = async () => {
      await Promise.all(replicas.map((r) => r.scheduler.tick()));
    };
    await waitFor('opensAt passed', () => Date.now() > Date.parse(created.body.opensAt) + 100, {
      timeoutMs: 5000,
    });
    await ticks();
    const history = (await call('GET', `/v1/elections/${id}/history`, { as: admin })).body.items as {
      action: string;
    }[];
    assert.deepEqual(
      history.map((h) => h.action),
      ['create', 'open'],
    );
  });
});

async function waitForKv(replica: RunningBallot, id: string, revision: number) {
  let value: { status: string; revision: number } | undefined;
  await waitFor(
    `revision ${revision} of ${id} in KV`,
    async () => {
      value = (await replica.kv.get(id))?.json();
      return value?.revision === revision;
    },
    { timeoutMs: 5000 },
  );
  return value!;
}
