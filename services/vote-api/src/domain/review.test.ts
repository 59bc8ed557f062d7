import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterId, minimumSize, parseClusterId } from './review.ts';

test('a cluster id names its cluster and reads back; anything else names none', () => {
  for (const ref of [
    { kind: 'subnet' as const, value: '2001:db8:1:2::/64' },
    { kind: 'key' as const, value: 'n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg' },
    { kind: 'burst' as const, value: '198.51.100.0/24', minute: '2026-12-01T20:15:00.000Z' },
  ]) {
    const id = clusterId(ref);
    assert.match(id, /^[A-Za-z0-9_-]+$/, 'safe in a URL path');
    assert.deepEqual(parseClusterId(id), ref);
  }
  const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
  for (const bad of [
    'not/an/id',
    '',
    encode('voter\nsomeone'),
    encode('subnet'),
    encode('subnet\n10.0.0.0/24\nextra'),
    encode('burst\n10.0.0.0/24'),
    encode('burst\n10.0.0.0/24\n2026-12-01T20:15:30.000Z'),
    encode(`subnet\n${'x'.repeat(101)}`),
  ]) {
    assert.equal(parseClusterId(bad), undefined, JSON.stringify(bad));
  }
});

test('each kind has its own threshold', () => {
  const thresholds = { subnetMin: 20, keyMin: 2, burstMin: 10 };
  assert.deepEqual(
    (['subnet', 'key', 'burst'] as const).map((k) => minimumSize(k, thresholds)),
    [20, 2, 10],
  );
});
