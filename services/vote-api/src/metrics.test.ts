import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Registry } from 'prom-client';
import { ElectionBallots } from './metrics.ts';

test('per-election series exist for at most `max` elections: the least recently voted-in one is dropped', async () => {
  const registry = new Registry();
  const counter = new Counter({ name: 'x_total', help: 'x', labelNames: ['election', 'outcome'] as const, registers: [registry] });
  const ballots = new ElectionBallots(counter, 2);
  ballots.inc('a', 'counted', '');
  ballots.inc('a', 'rate_limited', 'voters_per_key');
  ballots.inc('b', 'already_voted', '');
  ballots.inc('a', 'counted', '');
  ballots.inc('c', 'challenge_required', '');
  assert.deepEqual(ballots.elections(), ['a', 'c']);
  const values = (await counter.get()).values.map((v) => `${v.labels.election}/${v.labels.outcome}=${v.value}`).sort();
  assert.deepEqual(values, ['a/counted=2', 'a/denied=1', 'c/challenged=1']);
});
