import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketIncrease, bucketsOf, parsePrometheusText, quantileOf, sumOf } from './prometheus-text.ts';

test('samples are parsed with their labels, escapes and special values; comments are skipped', () => {
  const samples = parsePrometheusText(
    [
      '# HELP vote_ballots_total Vote requests',
      '# TYPE vote_ballots_total counter',
      'vote_ballots_total{outcome="counted",reason="",service="vote-api"} 12',
      'vote_ballots_total{outcome="rate_limited",reason="voters_per_key,ip_velocity",service="vote-api"} 3',
      'odd{path="a\\"b\\\\c\\nd"} 1 1700000000000',
      'lag_bucket{le="+Inf"} 4',
      'plain 2.5e3',
      'broken line',
      'nan_metric NaN',
    ].join('\n'),
  );
  assert.equal(samples.length, 5);
  assert.deepEqual(samples[1], {
    name: 'vote_ballots_total',
    labels: { outcome: 'rate_limited', reason: 'voters_per_key,ip_velocity', service: 'vote-api' },
    value: 3,
  });
  assert.equal(samples[2]!.labels.path, 'a"b\\c\nd');
  assert.deepEqual(bucketsOf(samples, 'lag'), [[Number.POSITIVE_INFINITY, 4]]);
  assert.equal(sumOf(samples, 'plain'), 2500);
  assert.equal(sumOf(samples, 'vote_ballots_total'), 15);
  assert.equal(sumOf(samples, 'vote_ballots_total', { outcome: 'counted' }), 12);
  assert.equal(sumOf(samples, 'vote_ballots_total', (l) => l.reason !== ''), 3);
});

test('a quantile over the increase of buckets between two scrapes', () => {
  const at = (counts: number[]) =>
    parsePrometheusText(counts.map((n, i) => `d_bucket{le="${['0.01', '0.1', '1', '+Inf'][i]}"} ${n}`).join('\n'));
  const before = bucketsOf(at([10, 10, 10, 10]), 'd');
  const after = bucketsOf(at([10, 100, 110, 110]), 'd');
  const increase = bucketIncrease(before, after);
  assert.deepEqual(increase.map(([, n]) => n), [0, 90, 100, 100]);
  // 100 new observations: 90 in (0.01, 0.1], 10 in (0.1, 1]; the 99th is 9/10 into the third bucket.
  assert.ok(Math.abs(quantileOf(increase, 0.99)! - (0.1 + 0.9 * 0.9)) < 1e-9);
  assert.equal(quantileOf(bucketIncrease(after, after), 0.99), undefined);
  // A process restarted between the scrapes: its counts start again from 0.
  assert.deepEqual(bucketIncrease(after, bucketsOf(at([1, 2, 3, 3]), 'd')).map(([, n]) => n), [1, 2, 3, 3]);
});
