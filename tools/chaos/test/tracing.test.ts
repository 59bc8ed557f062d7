/**
 * Issue 17, tracing: a vote cast through the real gateway is ONE trace, from the gateway through
 * vote-api's checks and its group commit to results' frame, received by an OTLP/HTTP receiver in
 * this test. Every service runs as its own process (startTestStack) with sampling at 1.0.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { accessTokenHash, audienceOnOneAddress, BenchIssuer, dpopProof, mintToken, newVoterKey } from '@onevote/bench';
import { OtlpReceiver, type ReceivedSpan, waitFor } from '@onevote/stack';
import { startTestStack } from '@onevote/stack/testing';
import postgres from 'postgres';

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

test('a vote through the gateway is one trace: gateway, vote-api with its commit batch, results', { timeout: 180_000 }, async (t) => {
  const receiver = await OtlpReceiver.start({ decode: true });
  t.after(() => receiver.stop());
  const issuer = await BenchIssuer.start();
  t.after(() => issuer.stop());
  const stack = await startTestStack({
    extraIssuers: [issuer.trustEntry],
    extraEnv: {
      ...audienceOnOneAddress,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    },
  });
  const gw = stack.gatewayUrl;
  const adminDb = new URL(stack.infra.postgresAdminUrl);
  adminDb.pathname = `/${stack.database}`;
  const sql = postgres(adminDb.toString(), { max: 1, onnotice: () => {} });
  t.after(() => sql.end());
  const [demo] = await sql<{ id: string }[]>`select id from ballot.elections where seed_key = 'demo'`;
  assert.ok(demo, 'the demo election was not seeded');

  const election = (await (await fetch(`${gw}/v1/elections/${demo.id}`)).json()) as {
    questions: { id: string; options: { id: string }[] }[];
  };
  const question = election.questions[0]!;
  const { key } = newVoterKey();
  const token = mintToken({
    issuer: issuer.issuer,
    kid: issuer.kid,
    audience: 'onevote',
    key: issuer.privateKey,
    sub: randomUUID(),
    jkt: key.jkt,
    roles: ['voter'],
    lifetimeSeconds: 600,
  });
  const votes = `${gw}/v1/elections/${demo.id}/votes`;
  let answer: Response | undefined;
  await waitFor('vote-api counts the ballot', async () => {
    const res = await fetch(votes, {
      method: 'POST',
      headers: {
        authorization: `DPoP ${token}`,
        dpop: dpopProof(key, 'POST', votes, accessTokenHash(token)),
        'content-type': 'application/json',
        'idempotency-key': 'tracing-vote',
        // A client's own trace is not continued at the edge (it would choose what is sampled).
        traceparent: `00-${'f'.repeat(32)}-${'1'.repeat(16)}-01`,
      },
      body: JSON.stringify({ selections: [{ questionId: question.id, optionIds: [question.options[0]!.id] }] }),
    });
    await res.arrayBuffer();
    if (res.status === 201) answer = res;
    return res.status === 201;
  }, { timeoutMs: 30_000 });

  // The answer carries the trace it belongs to, and the request id the gateway gave it.
  const [, traceId] = traceparentPattern.exec(answer!.headers.get('traceparent') ?? '') ?? [];
  assert.ok(traceId, `traceparent: ${answer!.headers.get('traceparent')}`);
  assert.notEqual(traceId, 'f'.repeat(32));
  const requestId = answer!.headers.get('x-request-id');
  assert.ok(requestId);

  const wanted: [service: string, name: string][] = [
    ['gateway', 'POST /v1/*'],
    ['gateway', 'POST vote-api'],
    ['vote-api', 'POST /v1/elections/:id/votes'],
    ['vote-api', 'vote.authenticate'],
    ['vote-api', 'vote.risk'],
    ['vote-api', 'vote.enqueue'],
    ['vote-api', 'vote.commit_batch'],
    ['vote-api', 'votes.commit'],
    ['vote-api', 'tally-changed publish'],
    ['results', 'tally-changed process'],
    ['results', 'results.read_tally'],
    ['results', 'results.build_frame'],
  ];
  const find = (spans: ReceivedSpan[], service: string, name: string) =>
    spans.find((s) => s.service === service && s.name === name);
  await waitFor(
    'the whole trace at the receiver',
    () => wanted.every(([service, name]) => find(receiver.trace(traceId), service, name)),
    { timeoutMs: 30_000, intervalMs: 250 },
  ).catch((err) => {
    const have = receiver.trace(traceId).map((s) => `${s.service}:${s.name}`);
    throw new Error(`${(err as Error).message}; the trace has ${JSON.stringify(have)}`);
  });

  const spans = receiver.trace(traceId);
  const span = (service: string, name: string) => find(spans, service, name)!;
  const edge = span('gateway', 'POST /v1/*');
  const proxied = span('gateway', 'POST vote-api');
  const server = span('vote-api', 'POST /v1/elections/:id/votes');
  const enqueue = span('vote-api', 'vote.enqueue');
  const batch = span('vote-api', 'vote.commit_batch');
  const publish = span('vote-api', 'tally-changed publish');
  const consume = span('results', 'tally-changed process');

  assert.equal(edge.parentSpanId, '', 'the gateway starts the trace');
  assert.equal(edge.kind, 2);
  assert.equal(proxied.parentSpanId, edge.spanId);
  assert.equal(server.parentSpanId, proxied.spanId, 'vote-api continues from the proxied call');
  assert.equal(server.attributes['http.response.status_code'], 201);
  for (const check of ['vote.authenticate', 'vote.risk', 'vote.enqueue']) {
    assert.equal(span('vote-api', check).parentSpanId, server.spanId, `${check} is a child of the request`);
  }
  // The batch: a span of its own, linked from the ballot's span (and under it, being the first).
  assert.ok(
    batch.links.some((l) => l.traceId === traceId && l.spanId === enqueue.spanId),
    'the batch links the ballot',
  );
  assert.equal(batch.parentSpanId, enqueue.spanId);
  assert.equal(span('vote-api', 'votes.commit').parentSpanId, batch.spanId);
  assert.equal(publish.parentSpanId, batch.spanId);
  assert.equal(publish.kind, 4);
  // Through NATS: results' consumer continues from the message's traceparent.
  assert.equal(consume.parentSpanId, publish.spanId);
  assert.equal(consume.kind, 5);
  assert.ok(spans.some((s) => s.service === 'results' && s.name === 'results.build_frame'));

  // The gateway passes its request id on: vote-api handled the request under the same id.
  assert.equal(edge.attributes['onevote.request_id'], requestId);
  assert.equal(server.attributes['onevote.request_id'], requestId);

  // Any API answer of a sampled request carries its traceparent.
  const results = await fetch(`${gw}/v1/elections/${demo.id}/results`);
  await results.arrayBuffer();
  assert.equal(results.status, 200);
  assert.match(results.headers.get('traceparent') ?? '', traceparentPattern);
});
