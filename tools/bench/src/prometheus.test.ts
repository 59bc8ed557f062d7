import assert from 'node:assert/strict';
import { test } from 'node:test';
import { counterSum, histogramQuantile } from './prometheus.ts';

test('a histogram quantile is interpolated inside its bucket, over every label set', () => {
  const text = [
    'lag_bucket{le="0.1",a="x"} 10',
    'lag_bucket{le="0.5",a="x"} 90',
    'lag_bucket{le="1",a="x"} 100',
    'lag_bucket{le="+Inf",a="x"} 100',
    'lag_bucket{le="0.1",a="y"} 0',
    'lag_bucket{le="0.5",a="y"} 0',
    'lag_bucket{le="1",a="y"} 100',
    'lag_bucket{le="+Inf",a="y"} 100',
  ].join('\n');
  // 200 observations: 10 <= 0.1, 90 <= 0.5, 200 <= 1.
  assert.equal(histogramQuantile(text, 'lag', 0.05), 0.1);
  assert.ok(Math.abs(histogramQuantile(text, 'lag', 0.5)! - (0.5 + 0.5 * (100 - 90) / 110)) < 1e-9);
  assert.equal(histogramQuantile(text, 'lag', 1), 1);
  assert.equal(histogramQuantile('', 'lag', 0.5), undefined);
});

test('a counter is summed over its label sets; other metrics sharing its prefix are not', () => {
  const text = [
    '# HELP leaves_total Leaves',
    'leaves_total{kind="ballot"} 40',
    'leaves_total{kind="event"} 2',
    'leaves_total_created 1700000000',
    'appends_total 7',
  ].join('\n');
  assert.equal(counterSum(text, 'leaves_total'), 42);
  assert.equal(counterSum(text, 'appends_total'), 7);
  assert.equal(counterSum(text, 'missing_total'), 0);
});
