/**
 * Issue 18: the NATS cluster the stack runs with `cluster.nats` — three nats-server nodes with
 * JetStream. It forms, the services' streams and the elections KV bucket are placed on all three
 * peers at NATS_REPLICAS=3 (or scaled up to it), the least-privilege users are refused outside their
 * subjects on every node, and a KV watcher carries on through the death of its stream's leader.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@onevote/contracts';
import { ElectionConfigCache, openElectionsBucket } from '@onevote/election-config';
import { createLogger, natsServers, scaleUpStream } from '@onevote/platform';
import { LogStream } from '../../../services/audit/src/adapters/log-stream.ts';
import { BallotsStream } from '../../../services/relay/src/adapters/ballots-stream.ts';
import { NatsCluster, peersOf } from '../src/nats-cluster.ts';
import { testDir, waitFor } from '../src/testing.ts';

const logger = createLogger('nats-cluster-test', 'silent');
const names = { bucket: 'elections', ballotsStream: 'BALLOTS', eventsStream: 'ELECTION_EVENTS' };
let cluster: NatsCluster;
const open: NatsConnection[] = [];

before(async () => {
  cluster = await NatsCluster.create(testDir('nats-cluster'), { names });
  await cluster.start();
});
after(async () => {
  for (const nc of open) await nc.close().catch(() => {});
  await cluster?.stop();
});

type User = 'ballot' | 'vote-api' | 'results' | 'relay' | 'audit' | 'admin';

/** A connection as `user`: to every node (`only` undefined), or to node `only` alone. */
async function as(user: User, only?: number) {
  const { servers, user: name, pass } = natsServers(cluster.urlFor(user));
  const nc = await connect({
    servers: only === undefined ? servers : [servers[only]!],
    user: name!,
    pass: pass!,
    timeout: 5000,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
  });
  open.push(nc);
  return nc;
}

/**
 * Node indexes a stream is placed on, from every running node's /jsz: each node holding a copy must
 * see the same peers, and no other node may hold one.
 */
async function placement(stream: string): Promise<number[]> {
  const holders: number[] = [];
  const seen: string[] = [];
  for (let i = 0; i < cluster.nodes.length; i++) {
    const view = cluster.running(i) ? await cluster.streamOn(i, stream) : undefined;
    if (!view) continue;
    holders.push(i);
    seen.push(view.peers.map((p) => cluster.indexOf(p)).join());
  }
  assert.equal(new Set(seen).size, 1, `nodes disagree on where ${stream} is: ${JSON.stringify(seen)}`);
  assert.equal(seen[0], holders.join(), `${stream}'s peers (${seen[0]}) are the nodes holding it (${holders.join()})`);
  return holders;
}

describe('a 3-node NATS cluster with JetStream (issue 18)', { concurrency: false }, () => {
  test('it forms: every node routed to the two others, one meta leader, and every URL names all three nodes', async () => {
    for (let i = 0; i < 3; i++) {
      const jsz = await cluster.jsz(i);
      assert.equal(jsz.meta_cluster?.cluster_size, 3, `node ${i} sees a cluster of 3`);
      assert.ok(jsz.meta_cluster?.leader, `node ${i} knows the meta leader`);
      const routes = (await (await fetch(`${cluster.monitorUrl(i)}/routez`)).json()) as { num_routes: number };
      assert.equal(routes.num_routes, 2, `node ${i} has routes to the others`);
    }
    const leaders = await Promise.all([0, 1, 2].map(async (i) => (await cluster.jsz(i)).meta_cluster?.leader));
    assert.equal(new Set(leaders).size, 1, `one meta leader: ${leaders.join(', ')}`);
    for (const urls of [cluster.url, ...Object.values(cluster.serviceUrls)]) {
      const { servers } = natsServers(urls);
      assert.deepEqual(servers, cluster.nodes.map((n) => `nats://127.0.0.1:${n.client}`));
    }
  });

  test('BALLOTS and the elections bucket at NATS_REPLICAS=3 are placed on all three nodes; audit’s consumer too', async () => {
    const ballots = new BallotsStream(await as('relay'), { stream: 'BALLOTS', replicas: 3, duplicateWindowMs: 120_000 }, logger);
    assert.equal((await ballots.ensure()).createdNow, true);
    await ballots.publish([{ subject: ballots.subject('e1'), msgId: 'm1', payload: new TextEncoder().encode('{}') }]);
    const kv = await openElectionsBucket(await as('ballot'), 'elections', { create: true, replicas: 3, logger });
    await kv.put('e1', JSON.stringify({ status: 'open' }));

    const jsm = await jetstreamManager(await as('admin'));
    for (const stream of ['BALLOTS', 'KV_elections']) {
      assert.equal((await jsm.streams.info(stream)).config.num_replicas, 3, `${stream} has 3 replicas`);
      await waitFor(`${stream} on all three nodes`, async () => (await placement(stream)).join() === '0,1,2', { timeoutMs: 30_000 });
      // Every node's own copy holds the message.
      await waitFor(`every copy of ${stream} to hold its message`, async () => {
        const views = await Promise.all([0, 1, 2].map((i) => cluster.streamOn(i, stream)));
        return views.every((v) => v?.lastSeq === 1);
      });
    }
    // audit's durable consumer (made as LogStream makes it) inherits the stream's replicas.
    await (await jetstreamManager(await as('audit'))).consumers.add('BALLOTS', { durable_name: 'audit', ack_policy: AckPolicy.Explicit });
    const consumer = await jsm.consumers.info('BALLOTS', 'audit');
    assert.equal(peersOf(consumer.cluster).length, 3, 'the consumer is on three peers');
  });

  test('an existing stream and bucket with one replica are scaled up to NATS_REPLICAS', async () => {
    const admin = await as('admin');
    const jsm = await jetstreamManager(admin);
    await jsm.streams.add({ name: 'ELECTION_EVENTS', subjects: ['onevote.election-events.ELECTION_EVENTS.>'], num_replicas: 1 });
    await jsm.consumers.add('ELECTION_EVENTS', { durable_name: 'audit', ack_policy: AckPolicy.Explicit });
    await new Kvm(admin).create('elections_r1', { history: 1, replicas: 1 } as never);
    const kvStream = 'KV_elections_r1';
    assert.equal((await placement(kvStream)).length, 1);

    // As ballot, which owns ELECTION_EVENTS (its permissions name only that stream and its bucket).
    await scaleUpStream(await as('ballot'), 'ELECTION_EVENTS', 3, logger);
    await scaleUpStream(admin, kvStream, 3, logger);
    for (const stream of ['ELECTION_EVENTS', kvStream]) {
      assert.equal((await jsm.streams.info(stream)).config.num_replicas, 3, `${stream} scaled to 3`);
      await waitFor(`${stream} on all three nodes`, async () => (await placement(stream)).join() === '0,1,2', { timeoutMs: 30_000 });
    }
    // audit's durable consumer, made on the one-replica stream, is moved to three peers with it.
    await waitFor('audit’s consumer on three peers', async () => {
      const consumer = await jsm.consumers.info('ELECTION_EVENTS', 'audit');
      return peersOf(consumer.cluster).length === 3;
    }, { timeoutMs: 30_000 });
    // Never down: asking for fewer leaves it as it is.
    await scaleUpStream(admin, 'ELECTION_EVENTS', 1, logger);
    assert.equal((await jsm.streams.info('ELECTION_EVENTS')).config.num_replicas, 3);
  });

  test('openElectionsBucket scales an existing one-replica bucket up (ballot’s own permissions)', async () => {
    // ballot's permissions name one bucket, `elections`, made at R3 above: made again at R1 by hand.
    const jsm = await jetstreamManager(await as('admin'));
    await jsm.streams.delete('KV_elections');
    await new Kvm(await as('admin')).create('elections', { history: 1, replicas: 1 } as never);
    assert.equal((await jsm.streams.info('KV_elections')).config.num_replicas, 1);
    const kv = await openElectionsBucket(await as('ballot'), 'elections', { create: true, replicas: 3, logger });
    await kv.put('e1', JSON.stringify({ status: 'open' }));
    assert.equal((await jsm.streams.info('KV_elections')).config.num_replicas, 3);
    await waitFor('KV_elections on all three nodes', async () => (await placement('KV_elections')).join() === '0,1,2', { timeoutMs: 30_000 });
  });

  test('least privilege holds on every node: anonymous refused, readers cannot write the bucket, only the relay publishes ballots', async () => {
    for (let i = 0; i < 3; i++) {
      await assert.rejects(connect({ servers: `127.0.0.1:${cluster.nodes[i]!.client}`, timeout: 2000 }), /Authorization|auth/i, `node ${i}`);
    }
    for (const node of [0, 1, 2]) {
      for (const reader of ['vote-api', 'results'] as const) {
        const kv = await new Kvm(jetstream(await as(reader, node), { timeout: 1000 })).open('elections');
        assert.equal((await kv.get('e1'))?.string(), JSON.stringify({ status: 'open' }), `${reader} reads on node ${node}`);
        await assert.rejects(kv.put('e1', '{"status":"draft"}'), /permission|timeout/i, `${reader} cannot write on node ${node}`);
        await assert.rejects(
          new Kvm(jetstream(await as(reader, node), { timeout: 1000 })).create('rogue', { history: 1 } as never),
          /permission|timeout/i,
        );
      }
      for (const forger of ['audit', 'vote-api', 'results', 'ballot'] as const) {
        const js = jetstream(await as(forger, node), { timeout: 1000 });
        await assert.rejects(js.publish('onevote.ballots.BALLOTS.e1', '{"forged":true}'), /permission|timeout|no responders|not enabled/i, `${forger} on node ${node}`);
      }
      await assert.rejects((await jetstreamManager(await as('audit', node))).streams.delete('BALLOTS'), /permission|timeout/i);
    }
    const jsm = await jetstreamManager(await as('admin'));
    assert.equal((await jsm.streams.info('BALLOTS')).state.messages, 1, 'only the relay’s message is in BALLOTS');
    assert.equal((await new Kvm(await as('admin')).open('elections').then((kv) => kv.get('e1')))?.string(), '{"status":"open"}');
  });

  test('kill -9 of BALLOTS’ leader: the relay’s publish is sent again until a new leader acknowledges it, and stored once', async (t) => {
    const jsm = await jetstreamManager(await as('admin'));
    const ballots = new BallotsStream(await as('relay'), { stream: 'BALLOTS', replicas: 3, duplicateWindowMs: 120_000, publishRetryMs: 60_000 }, logger);
    const message = { subject: ballots.subject('e1'), msgId: 'sent-during-the-election', payload: new TextEncoder().encode('{"n":2}') };
    const before = (await jsm.streams.info('BALLOTS')).state.messages;
    const leader = await cluster.streamLeader('BALLOTS');
    assert.ok(leader !== undefined);
    await cluster.kill(leader);
    const killedAt = Date.now();
    try {
      await ballots.publish([message]);
      t.diagnostic(`BALLOTS: a publish made at the kill was acknowledged after ${Date.now() - killedAt} ms (node ${leader} killed)`);
      assert.notEqual(await cluster.streamLeader('BALLOTS'), leader);
      // Sent again (a relay that died before confirming its slot): JetStream keeps one.
      await ballots.publish([message]);
      assert.equal((await jsm.streams.info('BALLOTS')).state.messages, before + 1);
    } finally {
      await cluster.start(leader);
    }
  });

  test('kill -9 of the node leading audit’s consumer: audit’s LogStream pulls again and gets what was published meanwhile', async (t) => {
    const jsm = await jetstreamManager(await as('admin'));
    const events = jetstream(await as('ballot'));
    const log = new LogStream(
      await as('audit'),
      { stream: 'ELECTION_EVENTS', durable: 'audit', batch: 100, lingerMs: 0, maxAckPending: 1000, ackWaitMs: 30_000 },
      logger,
    );
    /**
     * Reads (and acks) until a message with this body arrives. 30 s: resuming took ~9 s here, and
     * ~45 s with the client's default pull heartbeats, which this bound is meant to catch coming back.
     */
    const receive = (body: string) =>
      waitFor(`audit to receive ${body}`, async () => {
        const batch = (await log.next()) ?? [];
        for (const m of batch) m.ack();
        return batch.some((m) => m.string() === body);
      }, { timeoutMs: 30_000, intervalMs: 10 });
    let killed: number | undefined;
    try {
      await events.publish(natsNames.electionEvent('ELECTION_EVENTS', 'e1'), 'before');
      await receive('before');
      const leader = (await jsm.consumers.info('ELECTION_EVENTS', 'audit')).cluster?.leader;
      killed = cluster.indexOf(leader ?? '');
      assert.ok(killed !== undefined, 'audit’s consumer has a leader');
      await cluster.kill(killed);
      const killedAt = Date.now();
      // Published as ballot does (its scheduler retries a publish that failed).
      await waitFor('the event to be stored', async () => {
        await events.publish(natsNames.electionEvent('ELECTION_EVENTS', 'e1'), 'during', { msgID: 'during' });
        return true;
      }, { timeoutMs: 60_000 });
      await receive('during');
      t.diagnostic(`audit's consumer: node ${killed} killed; the next event received ${Date.now() - killedAt} ms later`);
    } finally {
      await log.close();
      if (killed !== undefined) await cluster.start(killed);
    }
  });

  test('kill -9 of the node holding a KV watch: the watcher sees a change made meanwhile and watches again; the node rejoins and catches up', async (t) => {
    const jsm = await jetstreamManager(await as('admin'));
    const cache = await ElectionConfigCache.start(await openElectionsBucket(await as('vote-api'), 'elections'), {
      logger,
      resyncIntervalMs: 1000,
    });
    const publisher = await openElectionsBucket(await as('ballot'), 'elections', { create: true, replicas: 3, logger });
    try {
      // The watch is an ordered consumer with one replica, on one node (often the bucket's leader):
      // the node to kill. (keys() makes short-lived header-only consumers; the watch is the other.)
      let victim: number | undefined;
      await waitFor('the watch’s consumer to be placed', async () => {
        for await (const c of jsm.consumers.list('KV_elections')) {
          if (!c.config.headers_only && c.cluster?.leader) victim = cluster.indexOf(c.cluster.leader);
        }
        return victim !== undefined;
      });
      const bucketLeader = await cluster.streamLeader('KV_elections');
      t.diagnostic(`the watch is on node ${victim}, the bucket's leader is node ${bucketLeader}`);
      const killed = victim!;
      const killedAt = Date.now();
      await cluster.kill(killed);
      if (bucketLeader === killed) {
        await waitFor('a new leader of the bucket', async () => {
          const next = await cluster.streamLeader('KV_elections');
          return next !== undefined && next !== killed;
        }, { timeoutMs: 60_000, intervalMs: 100 });
        t.diagnostic(`KV_elections: a new leader ${Date.now() - killedAt} ms after kill -9 of node ${killed}`);
      }
      const put = (status: string) => publisher.put('e1', JSON.stringify({ status }));
      await waitFor('the put to be acknowledged', async () => (await put('closed'), true), { timeoutMs: 30_000 });
      await waitFor('the cache to see the election closed', () => cache.get('e1')?.status === 'closed', { timeoutMs: 30_000 });
      t.diagnostic(`the cache saw the change ${Date.now() - killedAt} ms after the kill`);
      // The re-read carried the change and found the watch had missed it: the watch starts again.
      await waitFor('the watch to be started again', () => cache.watchRestarts >= 1, { timeoutMs: 30_000 });
      await put('open');
      await waitFor('the next change to arrive', () => cache.get('e1')?.status === 'open', { timeoutMs: 30_000 });

      const lastSeq = (await jsm.streams.info('KV_elections')).state.last_seq;
      await cluster.start(killed);
      await waitFor('the restarted node’s copy to catch up', async () => (await cluster.streamOn(killed, 'KV_elections'))?.lastSeq === lastSeq, {
        timeoutMs: 60_000,
      });
      assert.deepEqual(await placement('KV_elections'), [0, 1, 2], 'back on three peers');
    } finally {
      await cache.stop();
    }
  });
});
