import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type JsMsg, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { TokenIssuer } from '@onevote/auth/client';
import type { ElectionEvent } from '@onevote/contracts';
import { connectNats, createLogger } from '@onevote/platform';
import { freshDatabase, testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import { anAdmin, anElection, client, type RunningBallot, startBallot } from './support.ts';

// Issue 15: every change to an election reaches JetStream ELECTION_EVENTS for the public audit log.
let issuer: TokenIssuer;
let ballot: RunningBallot;
let nc: NatsConnection;
const stream = uniqueName('EVENTS');

before(async () => {
  issuer = await TokenIssuer.start();
  const db = await freshDatabase();
  ballot = await startBallot({ databaseUrl: db.urls.ballot!, bucket: uniqueName('elections'), issuer, eventsStream: stream });
  nc = await connectNats((await testInfra()).natsUrl, 'events-test', createLogger('t', 'silent'));
});
after(async () => {
  await ballot.stop();
  await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
  await nc.drain();
  await issuer.stop();
});

async function eventsOf(electionId: string): Promise<{ id: string | undefined; event: ElectionEvent }[]> {
  const info = await (await jetstreamManager(nc)).streams.info(stream);
  const out: { id: string | undefined; event: ElectionEvent }[] = [];
  const consumer = await jetstream(nc).consumers.get(stream);
  const iter = await consumer.fetch({ max_messages: info.state.messages, expires: 2000 });
  let seen = 0;
  for await (const m of iter as AsyncIterable<JsMsg>) {
    const event = m.json<ElectionEvent>();
    if (event.electionId === electionId) out.push({ id: m.headers?.get('Nats-Msg-Id'), event });
    if (++seen === info.state.messages) break;
  }
  return out;
}

test('create, edit, open and close each become one event, in order, with the history sequence in the message id', async () => {
  const admin = await anAdmin(issuer);
  const call = client(ballot.base);
  const created = (await call('POST', '/v1/elections', { as: admin, body: anElection() })).body;
  await call('PATCH', `/v1/elections/${created.id}`, { as: admin, body: { title: 'Renamed' } });
  await call('POST', `/v1/elections/${created.id}/open`, { as: admin });
  await call('POST', `/v1/elections/${created.id}/close`, { as: admin });
  await waitFor('four events', async () => (await eventsOf(created.id).catch(() => [])).length === 4);
  const events = await eventsOf(created.id);
  assert.deepEqual(
    events.map((e) => e.event.event),
    ['created', 'edited', 'opened', 'closed'],
  );
  const seqs = events.map((e) => e.event.seq);
  assert.deepEqual([...seqs].sort((a, b) => a - b), seqs);
  for (const { id, event } of events) {
    assert.equal(id, `${event.electionId}:${event.seq}`);
    assert.equal(event.v, 1);
    assert.match(event.at, /Z$/);
  }
});
