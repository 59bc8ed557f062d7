import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BallotsCounted } from '@onevote/contracts';
import { bootService, connectNats, createLogger, createMetrics, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freshDatabase, testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import { fileURLToPath } from 'node:url';
// The test writes ballots as vote-api does, with vote-api's own commit statement.
import { BallotStore } from '../../vote-api/src/adapters/ballot-store.ts';
import { ReviewRepository } from '../../vote-api/src/adapters/review.repository.ts';
import { BallotsStream } from '../src/adapters/ballots-stream.ts';
import { CountedBallots } from '../src/adapters/counted-ballots.ts';
import { RelayState } from '../src/adapters/relay-state.ts';
import { type ReplicationSource, ReplicationStream } from '../src/adapters/replication-stream.ts';
import { createRelayMetrics, type RelayMetrics } from '../src/metrics.ts';
import { relayService } from '../src/service.ts';
import { Relay } from '../src/use-cases/relay.ts';

const logger = createLogger('relay-test', 'silent');

describe('relay: counted ballots from PostgreSQL to JetStream BALLOTS', () => {
  let urls: Record<string, string>;
  let writer: Sql;
  let store: BallotStore;
  let nc: NatsConnection;
  const stream = uniqueName('BALLOTS');
  const slot = uniqueName('relay');
  const electionId = randomUUID();
  const questionId = randomUUID();
  const optionIds = [randomUUID(), randomUUID()];
  let written = 0;

  const env = () => ({
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: urls.relay!,
    NATS_URL: natsUrl,
    RELAY_SLOT: slot,
    BALLOTS_STREAM: stream,
    RELAY_IDLE_POLL_MS: '20',
    RELAY_STREAM_CHECK_MS: '200',
  });
  let natsUrl: string;
  const startRelay = () => bootService(relayService, { env: env() });

  /** Commits `n` ballots in transactions of `perCommit`, as vote-api's group commit does. */
  async function vote(n: number, perCommit = 7) {
    for (let done = 0; done < n; done += perCommit) {
      const batch = Array.from({ length: Math.min(perCommit, n - done) }, () => ({
        electionId,
        voterId: randomUUID(),
        receiptId: randomUUID(),
        idempotencyKey: randomUUID(),
        selections: [{ questionId, optionIds: [optionIds[written++ % 2]!] }],
      }));
      await store.commit(batch);
    }
  }

  /** Every message now in the stream, in order. */
  async function messages(): Promise<{ msgId: string | undefined; body: BallotsCounted }[]> {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const consumer = await jetstream(nc).consumers.get(stream);
    const out: { msgId: string | undefined; body: BallotsCounted }[] = [];
    if (info.state.messages === 0) return out;
    const iter = await consumer.fetch({ max_messages: info.state.messages, expires: 2000 });
    for await (const m of iter as AsyncIterable<JsMsg>) {
      out.push({ msgId: m.headers?.get('Nats-Msg-Id'), body: m.json<BallotsCounted>() });
      if (out.length === info.state.messages) break;
    }
    return out;
  }
  const receiptsIn = async () => (await messages()).flatMap((m) => m.body.ballots.map((b) => b.receiptId));

  before(async () => {
    const infra = await testInfra();
    natsUrl = infra.natsServiceUrls?.relay ?? infra.natsUrl;
    const db = await freshDatabase();
    urls = db.urls;
    writer = createPostgres(db.urls['vote-api']!, { applicationName: 'relay-test-writer', max: 2 });
    await migrate(writer, { schema: 'votes', dir: fileURLToPath(new URL('../../vote-api/migrations', import.meta.url)), logger });
    store = new BallotStore(writer, { slots: 4 });
    nc = await connectNats(infra.natsUrl, 'relay-test', logger);
  });
  after(async () => {
    const admin = createPostgres((await testInfra()).postgresAdminUrl, { applicationName: 'relay-test-cleanup', max: 1 });
    await admin`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${slot} and not active`;
    await admin.end();
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
    await nc.drain();
    await writer.end();
  });

  test('every counted ballot reaches the stream once, in commit order, one message per flush and election', async () => {
    const relay = await startRelay();
    try {
      // A first start fills the new stream from the table (empty here) before it relays: let it.
      await relay.built.relay.checkStream();
      await vote(100);
      await waitFor('the relay to publish 100 ballots', async () => (await receiptsIn()).length === 100);
      const stored = await writer<{ receipt_id: string }[]>`select receipt_id::text from votes.ballots where election_id = ${electionId}`;
      const got = await messages();
      assert.deepEqual(new Set(got.flatMap((m) => m.body.ballots.map((b) => b.receiptId))), new Set(stored.map((r) => r.receipt_id)));
      const receipts = got.flatMap((m) => m.body.ballots.map((b) => b.receiptId));
      assert.equal(receipts.length, 100, 'each ballot once');
      // Transactions that arrive within one flush travel together: never more messages than commits.
      assert.ok(got.length >= 1 && got.length <= Math.ceil(100 / 7), `${got.length} messages for 15 commits`);
      const lsns = got.map((m) => m.body.commitLsn!);
      assert.deepEqual([...lsns].sort(compareLsn), lsns, 'in commit order');
      assert.ok(got.every((m) => m.msgId === `${m.body.commitLsn}:${electionId}`), 'the message id is the commit position of its last transaction');
      const first = got[0]!.body;
      assert.equal(first.v, 1);
      assert.match(first.ballots[0]!.countedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.deepEqual(Object.keys(first.ballots[0]!).sort(), ['countedAt', 'receiptId', 'selections'], 'no voter id travels');
    } finally {
      await relay.close();
    }
  });

  test('a relay stopped and started again neither skips nor repeats a ballot', async () => {
    const before = (await receiptsIn()).length;
    await vote(40);
    // Nobody relays these 40 until a relay starts again; its slot kept the position.
    const relay = await startRelay();
    try {
      await waitFor('the backlog to be published', async () => (await receiptsIn()).length === before + 40);
      await vote(30);
      await waitFor('and what came after', async () => (await receiptsIn()).length === before + 70);
    } finally {
      await relay.close();
    }
    const receipts = await receiptsIn();
    assert.equal(new Set(receipts).size, receipts.length, 'no ballot twice');
  });

  test('transactions sent again (the relay died between publishing and confirming) are stored once', async () => {
    // The relay's own parts, with a replication source whose first confirmation fails, as if the
    // process had died right after JetStream acknowledged the publish.
    const sql = createPostgres(urls.relay!, { applicationName: 'relay-test', max: 1 });
    const relayNc = await connectNats(natsUrl, 'relay-test-2', logger);
    const real = new ReplicationStream(urls.relay!, { slot, publication: 'onevote_ballots' });
    let failNext = true;
    let sessions = 0;
    const flaky: ReplicationSource = {
      async open(onMessage) {
        sessions++;
        const session = await real.open(onMessage);
        return {
          ended: session.ended,
          stop: () => session.stop(),
          async acknowledge(lsn) {
            if (failNext) {
              failNext = false;
              throw new Error('killed before confirming');
            }
            await session.acknowledge(lsn);
          },
        };
      },
    };
    const metrics = createRelayMetrics(createMetrics('relay-test'));
    const relay = new Relay({
      source: flaky,
      stream: new BallotsStream(relayNc, { stream, replicas: 1, duplicateWindowMs: 120_000 }, logger),
      state: new RelayState(sql),
      ballots: new CountedBallots(sql),
      metrics,
      logger,
      options: { flushMs: 20, flushBallots: 1000, streamCheckMs: 60_000 },
    });
    try {
      const before = (await messages()).length;
      const receiptsBefore = (await receiptsIn()).length;
      await vote(14, 7);
      relay.start();
      await waitFor('both transactions in the stream', async () => (await receiptsIn()).length === receiptsBefore + 14);
      // Counted only once a publish is confirmed to the slot: the first session's was not.
      await waitFor('a second session to publish and confirm them', async () => (await metricValue(metrics, 'relay_transactions_published_total')) === 2);
      assert.ok(sessions >= 2);
      const added = (await messages()).slice(before);
      assert.ok(added.length >= 1 && added.length <= 2, 'at most one message per transaction');
      const receipts = added.flatMap((m) => m.body.ballots.map((b) => b.receiptId));
      assert.equal(new Set(receipts).size, 14);
      assert.equal(receipts.length, 14, 'each ballot stored once although sent twice');
      assert.equal(await metricValue(metrics, 'relay_errors_total'), 1);
    } finally {
      await relay.stop();
      await relayNc.close();
      await sql.end();
    }
  });

  test('a lost stream is made again and refilled from PostgreSQL with every counted ballot', async () => {
    const relay = await startRelay();
    try {
      await waitFor('the relay to catch up', async () => (await receiptsIn()).length === (await countStored()));
      await (await jetstreamManager(nc)).streams.delete(stream);
      await vote(10);
      const total = await countStored();
      await waitFor('the stream to be refilled', async () => {
        const receipts = await receiptsIn().catch(() => []);
        return new Set(receipts).size === total;
      }, { timeoutMs: 20_000 });
    } finally {
      await relay.close();
    }
  });

  test('voids (fraud review) reach the stream after their ballots, once each, and a refilled stream carries them too', async () => {
    const voidsIn = async () => (await messages()).flatMap((m, i) => (m.body.voids ?? []).map((v) => ({ ...v, message: i })));
    const relay = await startRelay();
    try {
      await vote(6, 6);
      const receipts = (await writer<{ receipt_id: string }[]>`
        select receipt_id::text from votes.ballots where election_id = ${electionId} order by counted_at desc, receipt_id limit 3`).map((r) => r.receipt_id);
      const hash = (r: string) => createHash('sha256').update(r, 'utf8').digest('base64url');
      const outcome = await new ReviewRepository(writer).void(electionId, { ballots: receipts.map(hash) }, { actor: 'admin-1', reason: 'bots' });
      assert.deepEqual(outcome, { voided: 3, alreadyVoided: 0, voidId: (outcome as { voidId: string }).voidId });
      await waitFor('the voids in the stream', async () => (await voidsIn()).length === 3);
      const voids = await voidsIn();
      assert.deepEqual(new Set(voids.map((v) => v.receiptId)), new Set(receipts));
      assert.ok(voids.every((v) => v.reason === 'bots' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v.at)));
      const ballotMessage = (await messages()).findIndex((m) => m.body.ballots.some((b) => b.receiptId === receipts[0]));
      // In the same message (one flush) or a later one; within a message the ballots come first.
      assert.ok(ballotMessage >= 0 && voids.every((v) => v.message >= ballotMessage), 'a void comes after its ballot');

      await (await jetstreamManager(nc)).streams.delete(stream);
      await waitFor('the stream refilled with ballots and voids', async () => {
        const refilled = await voidsIn().catch(() => []);
        return refilled.length === 3 && new Set(await receiptsIn()).size === (await countStored());
      }, { timeoutMs: 20_000 });
      const refilled = await messages();
      const lastBallots = refilled.findLastIndex((m) => m.body.ballots.length > 0);
      assert.ok((await voidsIn()).every((v) => v.message > lastBallots), 'refilled voids follow every ballot');
    } finally {
      await relay.close();
    }
  });

  test('a slot lost while the relay was down (a failover: PostgreSQL 15 does not carry it over) is made again, and what it held is republished', async () => {
    const relay = await startRelay();
    try {
      await vote(20);
      await waitFor('the relay to catch up', async () => new Set(await receiptsIn()).size === (await countStored()));
    } finally {
      await relay.close();
    }
    // Committed while no relay runs: only the slot knows them, and the slot is then lost.
    await vote(15);
    const admin = createPostgres((await testInfra()).postgresAdminUrl, { applicationName: 'relay-test-drop', max: 1 });
    try {
      await admin`select pg_drop_replication_slot(${slot})`;
      const again = await startRelay();
      try {
        const [made] = await admin`select 1 from pg_replication_slots where slot_name = ${slot}`;
        assert.ok(made, 'the relay made its slot again before it was ready');
        await vote(10); // and what commits after the new slot comes through it
        const stored = await writer<{ receipt_id: string }[]>`select receipt_id::text from votes.ballots where election_id = ${electionId}`;
        await waitFor('every stored ballot in the stream', async () => {
          const inStream = new Set(await receiptsIn());
          return stored.every((r) => inStream.has(r.receipt_id));
        }, { timeoutMs: 20_000 });
        const republished = (await messages()).filter((m) => m.msgId?.startsWith('republish:'));
        assert.ok(republished.length > 0, 'the 15 came back by a republish from the table');
      } finally {
        await again.close();
      }
    } finally {
      await admin.end();
    }
  });

  const countStored = async () =>
    Number((await writer`select count(*)::int as n from votes.ballots where election_id = ${electionId}`)[0]!.n);
});

function compareLsn(a: string, b: string): number {
  const [ah, al] = a.split('/').map((x) => Number.parseInt(x, 16));
  const [bh, bl] = b.split('/').map((x) => Number.parseInt(x, 16));
  return ah! - bh! || al! - bl!;
}

async function metricValue(metrics: RelayMetrics, name: string): Promise<number> {
  const metric = Object.values(metrics).find((m) => (m as { name?: string }).name === name) as { get(): Promise<{ values: { value: number }[] }> };
  return (await metric.get()).values[0]?.value ?? 0;
}
