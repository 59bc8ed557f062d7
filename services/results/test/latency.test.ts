import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { anElection, ResultsWorld, SseClient, waitFor } from './harness.ts';

let world: ResultsWorld;
before(async () => {
  world = await ResultsWorld.start();
});
after(() => world.stop());

// I4 measured, not asserted: figures go to docs/benchmarks.md. Ballots are committed one
// after another, each as soon as the previous one reached the subscriber, so every frame after the
// first waits out the 200 ms frame pacing: this is the steady-stream case, not the best case.
test('commit-to-SSE-frame latency over 100 ballots (p50/p99 reported)', async (t) => {
  const { url } = await world.startResults();
  const election = anElection();
  await world.publish(election);
  await waitFor(
    'results knows the election',
    async () => (await fetch(`${url}/v1/elections/${election.id}/results`)).ok,
  );
  const sse = await SseClient.open(`${url}/v1/elections/${election.id}/results/stream`);
  const lags: number[] = [];
  try {
    await waitFor('the first frame', () => sse.frames.length === 1);
    for (let n = 1; n <= 100; n++) {
      const { committedAt } = await world.countBallots(election, [n % 2]);
      await waitFor(`ballot ${n} reaches the subscriber`, () => sse.latest().totalBallots === n, {
        timeoutMs: 5000,
        intervalMs: 1,
      });
      lags.push(sse.frames.at(-1)!.receivedAt - committedAt);
    }
  } finally {
    sse.close();
  }
  assert.equal(lags.length, 100);
  const sorted = [...lags].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
  t.diagnostic(
    `commit-to-frame ms over ${lags.length} ballots: p50=${pct(50)} p90=${pct(90)} p99=${pct(99)} max=${sorted.at(-1)}`,
  );
});
