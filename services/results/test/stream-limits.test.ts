import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RedisRevocationList } from '@onevote/auth';
import { aVoter } from '@onevote/auth/client';
import { anElection, metricValue, ResultsWorld, SseClient, waitFor } from './harness.ts';

// Issue 14, item 7: result streams are bounded per client address and per process, live for a
// bounded time, and an admin's view of hidden results ends when the admin's token is revoked.
describe('result stream limits', () => {
  let world: ResultsWorld;

  before(async () => {
    world = await ResultsWorld.start();
  });
  after(() => world.stop());

  async function openElection(overrides: Parameters<typeof anElection>[0] = {}) {
    const { url, opsUrl } = await world.startResults({
      MAX_STREAMS: 5,
      MAX_STREAMS_PER_CLIENT: 3,
      STREAM_MAX_LIFETIME_SECONDS: 10,
      ADMIN_STREAM_RECHECK_MS: 200,
    });
    const election = anElection(overrides);
    await world.publish(election);
    await waitFor('results knows the election', async () => {
      const res = await fetch(`${url}/v1/elections/${election.id}/results`);
      await res.arrayBuffer();
      return res.status !== 404;
    });
    return { url, opsUrl, election, stream: `${url}/v1/elections/${election.id}/results/stream` };
  }

  test('past the per-client cap a stream is 429 with Retry-After; past the process cap, 503; closing frees a place', async () => {
    const { stream } = await openElection();
    const from = (ip: string) => SseClient.open(stream, { 'x-forwarded-for': ip });
    const a = await Promise.all([1, 2, 3].map(() => from('198.51.100.1')));
    assert.ok(a.every((c) => c.response.statusCode === 200));
    const fourth = await fetch(stream, { headers: { 'x-forwarded-for': '198.51.100.1' } });
    assert.equal(fourth.status, 429);
    assert.equal((await fourth.json()).code, 'rate_limited');
    assert.ok(Number(fourth.headers.get('retry-after')) >= 1);

    const b = await Promise.all([1, 2].map(() => from('198.51.100.2')));
    assert.ok(b.every((c) => c.response.statusCode === 200), 'another address has its own budget');
    const full = await fetch(stream, { headers: { 'x-forwarded-for': '198.51.100.3' } });
    assert.equal(full.status, 503, 'the process holds its maximum of 5');
    assert.ok(Number(full.headers.get('retry-after')) >= 1);
    await full.arrayBuffer();

    a[0]!.close();
    await waitFor('a place is free again', async () => {
      const res = await fetch(stream, { headers: { 'x-forwarded-for': '198.51.100.3' }, signal: AbortSignal.timeout(2000) });
      const ok = res.status === 200;
      await res.body?.cancel();
      return ok;
    });
    for (const c of [...a, ...b]) c.close();
  });

  test('a stream ends after its lifetime; the client reconnects with Last-Event-ID and is not sent the same frame again', async () => {
    const { stream, election } = await openElection();
    const first = await SseClient.open(stream);
    await waitFor('the first frame', () => first.frames.length === 1);
    await waitFor('the stream to end at its lifetime (10 s ±10%)', () => first.closed, { timeoutMs: 15_000 });
    const again = await SseClient.open(stream, { 'last-event-id': first.frames[0]!.id! });
    assert.equal(again.response.statusCode, 200);
    await world.countBallots(election, [0]);
    await waitFor('the next change', () => again.frames.length >= 1);
    // The first frame after the reconnect is the change, not a repeat of the frame it had.
    assert.notEqual(again.frames[0]!.id, first.frames[0]!.id);
    assert.equal(again.latest().totalBallots, 1);
    again.close();
  });

  test("an admin's live view of hidden results ends as soon as the admin's token is revoked", async () => {
    const { stream, opsUrl } = await openElection({ resultsVisibility: 'after_close' });
    const anonymous = await fetch(stream);
    assert.equal(anonymous.status, 403);
    await anonymous.arrayBuffer();

    const admin = await aVoter(world.issuer, ['admin']);
    const sse = await SseClient.open(stream, await admin.headers('GET', stream));
    assert.equal(sse.response.statusCode, 200);
    await waitFor('the admin sees the hidden tally', () => sse.frames.length === 1);
    assert.equal(sse.closed, false);

    const claims = JSON.parse(Buffer.from(admin.token.split('.')[1]!, 'base64url').toString());
    await new RedisRevocationList(world.redis).revokeToken({
      issuer: claims.iss,
      subject: claims.sub,
      tokenId: claims.jti,
      expiresAt: claims.exp,
    });
    await waitFor('the stream is ended', () => sse.closed, { timeoutMs: 5000 });
    await waitFor('and released', async () => (await metricValue(opsUrl, 'results_connections_open', 'transport="sse"')) === 0);
    // The revoked token opens nothing any more.
    const refused = await fetch(stream, { headers: await admin.headers('GET', stream) });
    assert.equal(refused.status, 401);
    assert.equal((await refused.json()).code, 'invalid_token');
  });
});
