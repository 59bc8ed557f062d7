import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { candidateThresholds, clusterId, clustersOf, minimumSize, parseClusterId } from './review.ts';

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

describe('clusters over vote shard groups', () => {
  const thresholds = { subnetMin: 20, keyMin: 2, burstMin: 10 };

  test('a cluster below its threshold on every group is found from candidates at ceil(min / groups)', () => {
    assert.deepEqual(candidateThresholds(thresholds, 1), thresholds);
    assert.deepEqual(candidateThresholds(thresholds, 2), { subnetMin: 10, keyMin: 1, burstMin: 5 });
    assert.deepEqual(candidateThresholds(thresholds, 3), { subnetMin: 7, keyMin: 1, burstMin: 4 });
  });

  test("groups' rows of one cluster and minute are summed; clusters below the threshold in all are dropped", () => {
    const row = (value: string, minute: string, ballots: number, voided = 0) => ({
      kind: 'subnet' as const,
      value,
      minute,
      ballots,
      voided,
      challenged: 0,
    });
    const clusters = clustersOf(
      [
        row('10.0.0.0/24', '2026-01-01T10:01:00.000Z', 8),
        row('10.0.0.0/24', '2026-01-01T10:00:00.000Z', 4, 1),
        // The same cluster and minute from the other group.
        row('10.0.0.0/24', '2026-01-01T10:01:00.000Z', 9, 2),
        row('10.9.9.0/24', '2026-01-01T10:00:00.000Z', 19),
      ],
      thresholds,
    );
    assert.equal(clusters.length, 1);
    assert.deepEqual(clusters[0], {
      ref: { kind: 'subnet', value: '10.0.0.0/24' },
      ballots: 21,
      voided: 3,
      challenged: 0,
      perMinute: [
        { minute: '2026-01-01T10:00:00.000Z', ballots: 4, voided: 1 },
        { minute: '2026-01-01T10:01:00.000Z', ballots: 17, voided: 2 },
      ],
    });
  });
});
