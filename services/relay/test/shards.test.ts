/**
 * The relay on two vote shard groups (issue 18): one replication stream of its own slot per group
 * in one process, all into one BALLOTS stream; each group's ballots once and in its commit order;
 * a group down stops only its own; a lost stream is refilled from both. And audit, reading the
 * two interleaved sources, logs each ballot once and each void after its ballot.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { BallotsCounted } from '@onevote/contracts';
import { bootService, connectNats, createLogger, createPostgres, migrate, type Sql } from '@onevote/platform';
import { freshShardedDatabase, testInfra, testShardServers, uniqueName, waitFor } from '@onevote/stack/testing';
import postgres from 'postgres';
import { auditService } from '../../audit/src/service.ts';
// Ballots and voids are written as vote-api writes them.
import { BallotStore } from '../../vote-api/src/adapters/ballot-store.ts';
import { ReviewRepository } from '../../vote-api/src/adapters/review.repository.ts';
import { relayService } from '../src/service.ts';

const logger = createLogger('relay-shards-test', 'silent');

describe('relay and audit over two shard groups', () => {
  let db: Awaited<ReturnType<typeof freshShardedDatabase>>;
  let writers: Sql[];
  let stores: BallotStore[];
  let nc: NatsConnection;
  let natsUrl: string;
  const stream = uniqueName('BALLOTS');
  const slot = uniqueName('relay');
  const electionId = randomUUID();
  const questionId = randomUUID();
  const optionId = randomUUID();

  const startRelay = () =>
    bootService(relayService, {
      env: {
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        DATABASE_URL: db.urls[0]!.relay!,
        VOTE_SHARD_URLS: db.shardUrls.relay!,
        NATS_URL: natsUrl,
        RELAY_SLOT: slot,
        BALLOTS_STREAM: stream,
        RELAY_STREAM_CHECK_MS: '200',
      },
    });

  /** Commits `n` ballots on group `group` in one transaction; returns their receipts. */
  async function vote(group: number, n: number): Promise<string[]> {
    const batch = Array.from({ length: n }, () => ({
      electionId,
      voterId: randomUUID(),
      receiptId: randomUUID(),
      idempotencyKey: randomUUID(),
      selections: [{ questionId, optionIds: [optionId] }],
    }));
    await stores[group]!.commit(batch);
    return batch.map((b) => b.receiptId);
  }

  async function messages(): Promise<{ msgId: string | undefined; body: BallotsCounted }[]> {
    const info = await (await jetstreamManager(nc)).streams.info(stream);
    const out: { msgId: string | undefined; body: BallotsCounted }[] = [];
    if (info.state.messages === 0) return out;
    const iter = await (await jetstream(nc).consumers.get(stream)).fetch({ max_messages: info.state.messages, expires: 2000 });
    for await (const m of iter as AsyncIterable<JsMsg>) {
      out.push({ msgId: m.headers?.get('Nats-Msg-Id'), body: m.json<BallotsCounted>() });
      if (out.length === info.state.messages) break;
    }
    return out;
  }
  const receiptsIn = async () => (await messages().catch(() => [])).flatMap((m) => m.body.ballots.map((b) => b.receiptId));
  const storedOn = async (group: number) =>
    (await writers[group]!<{ receipt_id: string }[]>`select receipt_id::text from votes.ballots where election_id = ${electionId}`).map((r) => r.receipt_id);

  before(async () => {
    const infra = await testInfra();
    natsUrl = infra.natsServiceUrls?.relay ?? infra.natsUrl;
    db = await freshShardedDatabase(2);
    writers = db.urls.map((urls, i) => createPostgres(urls['vote-api']!, { applicationName: `writer ${i}`, max: 2, connectTimeoutMs: 500 }));
    for (const writer of writers) {
      await migrate(writer, { schema: 'votes', dir: fileURLToPath(new URL('../../vote-api/migrations', import.meta.url)), logger });
    }
    stores = writers.map((sql) => new BallotStore(sql, { slots: 4 }));
    nc = await connectNats(infra.natsUrl, 'relay-shards-test', logger);
  });
  after(async () => {
    for (const url of db.adminUrls) {
      const admin = postgres(url, { max: 1, onnotice: () => {} });
      await admin`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${slot} and not active`;
      await admin.end();
    }
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
    await nc.drain();
    await Promise.all(writers.map((w) => w.end()));
  });

  test("both groups' ballots reach the one stream once each, each group's in its commit order, with ids of its own", async () => {
    const relay = await startRelay();
    try {
      assert.equal(relay.built.relays.length, 2, 'one relay per group in the process');
      // A first start fills the new stream from each group's table (empty here) before it relays: let it.
      await Promise.all(relay.built.relays.map((r) => r.checkStream()));
      const sent = [await vote(0, 5), await vote(1, 4), await vote(0, 3), await vote(1, 6), await vote(1, 2)].flat();
      await waitFor('every ballot in the stream', async () => (await receiptsIn()).length === sent.length);
      const got = await messages();
      assert.deepEqual(new Set(got.flatMap((m) => m.body.ballots.map((b) => b.receiptId))), new Set(sent));
      for (const group of [0, 1]) {
        const mine = got.filter((m) => (m.body.shard ?? 0) === group);
        assert.deepEqual(new Set(mine.flatMap((m) => m.body.ballots.map((b) => b.receiptId))), new Set(await storedOn(group)));
        const lsns = mine.map((m) => lsnNumber(m.body.commitLsn!));
        assert.deepEqual([...lsns].sort((a, b) => (a < b ? -1 : 1)), lsns, `group ${group} in its commit order`);
        const prefix = group === 0 ? '' : 's1:';
        assert.ok(mine.every((m) => m.msgId === `${prefix}${m.body.commitLsn}:${electionId}`), `group ${group}'s message ids`);
      }
      assert.ok(got.some((m) => m.body.shard === 1) && got.every((m) => m.body.shard === undefined || m.body.shard === 1));
      // Where each group's publishing got to is kept on that group (relay state).
      for (const group of [0, 1]) {
        const admin = postgres(db.adminUrls[group]!, { max: 1, onnotice: () => {} });
        const [row] = await admin`select value from relay.state where name = 'published_lsn'`;
        await admin.end();
        assert.match(String(row?.value), /^\S+ [0-9A-F]+\/[0-9A-F]+$/);
      }
    } finally {
      await relay.close();
    }
  });

  test('a group down stops only its own relay; back, its relay resumes from its slot', async () => {
    const relay = await startRelay();
    const [server1] = await testShardServers();
    try {
      const before = (await receiptsIn()).length;
      await server1!.stop();
      const during = await vote(0, 7);
      await waitFor('group 0 ballots while group 1 is down', async () => (await receiptsIn()).length === before + 7);
      await server1!.start();
      const afterwards = await vote(1, 5);
      await waitFor('group 1 relayed again', async () => {
        const receipts = new Set(await receiptsIn());
        return [...during, ...afterwards].every((r) => receipts.has(r));
      }, { timeoutMs: 30_000 });
      const receipts = await receiptsIn();
      assert.equal(new Set(receipts).size, receipts.length, 'no ballot twice');
    } finally {
      if (!server1!.pid) await server1!.start();
      await relay.close();
    }
  });

  test('a lost stream is refilled from both groups, with every ballot', async () => {
    const relay = await startRelay();
    try {
      await waitFor('caught up', async () => new Set(await receiptsIn()).size === (await storedOn(0)).length + (await storedOn(1)).length);
      await (await jetstreamManager(nc)).streams.delete(stream);
      await vote(1, 3);
      const total = (await storedOn(0)).length + (await storedOn(1)).length;
      await waitFor('the stream refilled', async () => new Set(await receiptsIn()).size === total, { timeoutMs: 20_000 });
    } finally {
      await relay.close();
    }
  });

  test('audit reads the interleaved groups: each ballot once, each void after its ballot, a resend appended once', async () => {
    const relay = await startRelay();
    const audit = await bootService(auditService, {
      env: {
        PORT: '0',
        LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
        DATABASE_URL: db.urls[0]!.audit!,
        NATS_URL: (await testInfra()).natsServiceUrls?.audit ?? natsUrl,
        // Only a final head asks results; none is signed here.
        RESULTS_URL: 'http://127.0.0.1:9',
        AUDIT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
        BALLOTS_STREAM: stream,
        ELECTION_EVENTS_STREAM: uniqueName('EVENTS'),
        AUDIT_CONSUMER: uniqueName('audit'),
        HEAD_INTERVAL_MS: '100',
      },
    });
    const admin = postgres(db.adminUrls[0]!, { max: 1, onnotice: () => {} });
    try {
      // Interleaved commits and voids on both groups.
      const hash = (r: string) => createHash('sha256').update(r, 'utf8').digest('base64url');
      await vote(0, 4);
      const fresh1 = await vote(1, 4);
      const fresh0 = await vote(0, 4);
      const by = { actor: 'admin', reason: 'bots' };
      await new ReviewRepository(writers[1]!).void(electionId, { ballots: fresh1.slice(0, 2).map(hash) }, by);
      await vote(1, 3);
      await new ReviewRepository(writers[0]!).void(electionId, { ballots: fresh0.slice(0, 1).map(hash) }, by);

      const all = [...(await storedOn(0)), ...(await storedOn(1))];
      const leaves = async () =>
        admin<{ kind: string; leaf_key: string; leaf_index: string }[]>`
          select kind, leaf_key, leaf_index::text from audit.leaves where election_id = ${electionId} order by leaf_index`;
      await waitFor('every ballot and both voids in the log', async () => (await leaves()).length === all.length + 3, { timeoutMs: 30_000 });

      // A resend grouped otherwise (another id): JetStream stores it, audit appends nothing.
      const [again] = (await messages()).filter((m) => m.body.shard === 1 && m.body.ballots.length > 0);
      const redelivered = await metric(audit.opsUrl, 'audit_leaves_redelivered_total');
      await jetstream(nc).publish(`onevote.ballots.${stream}.${electionId}`, JSON.stringify(again!.body), { msgID: `resend:${randomUUID()}` });
      await waitFor(
        'the resend consumed',
        async () => (await metric(audit.opsUrl, 'audit_leaves_redelivered_total')) >= redelivered + again!.body.ballots.length,
        { timeoutMs: 20_000 },
      );

      const rows = await leaves();
      assert.equal(rows.length, all.length + 3, 'each ballot once and three voids, nothing more');
      const ballots = rows.filter((r) => r.kind === 'ballot');
      assert.deepEqual(new Set(ballots.map((r) => r.leaf_key)), new Set(all.map(hash)));
      assert.equal(new Set(ballots.map((r) => r.leaf_key)).size, ballots.length);
      const at = new Map(ballots.map((r) => [r.leaf_key, Number(r.leaf_index)]));
      for (const v of rows.filter((r) => r.kind === 'void')) assert.ok(Number(v.leaf_index) > at.get(v.leaf_key)!, 'a void after its ballot');
    } finally {
      await admin.end();
      await audit.close();
      await relay.close();
    }
  });
});

function lsnNumber(lsn: string): bigint {
  const [hi, lo] = lsn.split('/');
  return (BigInt(`0x${hi}`) << 32n) + BigInt(`0x${lo}`);
}

async function metric(opsUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${opsUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
