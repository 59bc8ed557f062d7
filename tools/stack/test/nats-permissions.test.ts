import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { natsServers } from '@onevote/platform';
import { freePort } from '../src/ports.ts';
import { NatsServer } from '../src/nats.ts';
import { testDir } from '../src/testing.ts';

// Issue 14, item 14: the elections KV bucket is the control plane (an open config reopens an
// election). Only ballot may write it; anyone else reaching NATS may at most read what they need.
let server: NatsServer;
const open: NatsConnection[] = [];

before(async () => {
  server = new NatsServer(testDir('nats-permissions'), await freePort(), {
    names: { bucket: 'elections', ballotsStream: 'BALLOTS', eventsStream: 'ELECTION_EVENTS' },
  });
  await server.start();
});
after(async () => {
  for (const nc of open) await nc.close().catch(() => {});
  await server.stop();
});

async function as(user: 'ballot' | 'vote-api' | 'results' | 'relay' | 'audit' | 'admin') {
  const { servers, user: name, pass } = natsServers(server.urlFor(user));
  const nc = await connect({ servers, user: name!, pass: pass!, timeout: 2000 });
  open.push(nc);
  return nc;
}

test('an anonymous client cannot connect at all', async () => {
  await assert.rejects(connect({ servers: `127.0.0.1:${server.port}`, timeout: 2000 }), /Authorization|auth/i);
});

test('ballot creates and writes the bucket; vote-api and results read and watch it but cannot write it', async () => {
  const ballot = await new Kvm(await as('ballot')).create('elections', { history: 1 } as never);
  await ballot.put('e1', JSON.stringify({ status: 'open' }));

  for (const reader of ['vote-api', 'results'] as const) {
    const kv = await new Kvm(await as(reader)).open('elections');
    assert.equal((await kv.get('e1'))?.string(), JSON.stringify({ status: 'open' }), `${reader} reads`);
    const watch = await kv.watch();
    const seen = (async () => {
      for await (const entry of watch) if (entry.key === 'e2') return entry.string();
      return undefined;
    })();
    await ballot.put('e2', 'watched');
    assert.equal(await seen, 'watched', `${reader} watches`);
    watch.stop();
    await assert.rejects(kv.put('e1', JSON.stringify({ status: 'draft' })), /permission|timeout/i, `${reader} cannot write`);
    await assert.rejects(new Kvm(await as(reader)).create('rogue', { history: 1 } as never), /permission|timeout/i, `${reader} cannot create buckets`);
  }
  assert.equal((await ballot.get('e1'))?.string(), JSON.stringify({ status: 'open' }), 'nothing was overwritten');
});

test('only vote-api publishes tally notifications; results subscribes to them', async () => {
  const results = await as('results');
  const sub = results.subscribe('onevote.tally.*', { max: 1 });
  const got = (async () => {
    for await (const m of sub) return m.subject;
    return undefined;
  })();
  await results.flush();
  const forged = await as('results');
  forged.publish('onevote.tally.e1', '{}');
  await forged.flush().catch(() => {});
  const voteApi = await as('vote-api');
  voteApi.publish('onevote.tally.e2', '{}');
  await voteApi.flush();
  assert.equal(await got, 'onevote.tally.e2', 'the first notification results saw is vote-api’s, not the forged one');
});

// Issue 15: BALLOTS is what the public log is built from. Only the relay may put ballots in it;
// audit reads it (a durable consumer, explicit acks) but can neither add to it nor delete it.
test('only the relay publishes counted ballots; audit consumes them but cannot forge or delete them', async () => {
  const subject = 'onevote.ballots.BALLOTS.e1';
  await (await jetstreamManager(await as('relay'))).streams.add({ name: 'BALLOTS', subjects: ['onevote.ballots.BALLOTS.*'] });
  await jetstream(await as('relay')).publish(subject, JSON.stringify({ from: 'relay' }));

  for (const forger of ['audit', 'vote-api', 'results', 'ballot'] as const) {
    const js = jetstream(await as(forger), { timeout: 1000 });
    await assert.rejects(js.publish(subject, JSON.stringify({ from: forger })), /permission|timeout|no responders/i, `${forger} cannot publish ballots`);
  }
  const auditJsm = await jetstreamManager(await as('audit'));
  await assert.rejects(auditJsm.streams.delete('BALLOTS'), /permission|timeout/i, 'audit cannot delete the stream');

  await auditJsm.consumers.add('BALLOTS', { durable_name: 'audit', ack_policy: AckPolicy.Explicit });
  const consumer = await jetstream(await as('audit')).consumers.get('BALLOTS', 'audit');
  const m = await consumer.next({ expires: 2000 });
  assert.deepEqual(m?.json(), { from: 'relay' });
  m!.ack();
  const info = await (await jetstreamManager(await as('relay'))).streams.info('BALLOTS');
  assert.equal(info.state.messages, 1, 'only the relay’s message is in the stream');
});
