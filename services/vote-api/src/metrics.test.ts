import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { ElectionBallots } from './metrics.ts';

test('per-election series exist for at most `max` elections: the least recently voted-in one is dropped', async () => {
  const registry = new Registry();
  let ballots: ElectionBallots | undefined;
  const counter = new Counter({
    name: 'x_total',
    help: 'x',
    labelNames: ['election', 'outcome'] as const,
    registers: [registry],
    collect: () => ballots?.collect(),
  });
  ballots = new ElectionBallots(counter, 2);
  ballots.inc('a', 'counted', '');
  ballots.inc('a', 'rate_limited', 'voters_per_key');
  ballots.inc('b', 'already_voted', '');
  ballots.inc('a', 'counted', '');
  ballots.inc('c', 'challenge_required', '');
  assert.deepEqual(ballots.elections(), ['a', 'c']);
  const values = (await counter.get()).values.map((v) => `${v.labels.election}/${v.labels.outcome}=${v.value}`).sort();
  assert.deepEqual(values, ['a/counted=2', 'a/denied=1', 'c/challenged=1']);
});

test('the scraped text has one series per election and outcome category', async () => {
  const registry = new Registry();
  let ballots: ElectionBallots | undefined;
  new Counter({ name: 'y_total', help: 'y', labelNames: ['election', 'outcome'] as const, registers: [registry], collect: () => ballots?.collect() });
  ballots = new ElectionBallots((registry.getSingleMetric('y_total') as Counter<'election' | 'outcome'>), 64);
  for (let i = 0; i < 3; i++) ballots.inc('e1', 'counted', '');
  ballots.inc('e1', 'already_voted', '');
  const text = await registry.metrics();
  assert.match(text, /^y_total\{election="e1",outcome="counted"\} 3$/m);
  assert.match(text, /^y_total\{election="e1",outcome="already_voted"\} 1$/m);
});
