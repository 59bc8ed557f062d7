import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { clientNetwork, slowdownMs } from './client-network.ts';

describe('client networks', () => {
  test('IPv4 addresses group by /24, also when IPv4-mapped', () => {
    assert.equal(clientNetwork('203.0.113.7'), '203.0.113.0/24');
    assert.equal(clientNetwork('203.0.113.250'), clientNetwork('203.0.113.7'));
    assert.equal(clientNetwork('::ffff:203.0.113.7'), '203.0.113.0/24');
    assert.notEqual(clientNetwork('203.0.114.7'), clientNetwork('203.0.113.7'));
  });

  test('IPv6 addresses group by /64 whatever their spelling', () => {
    assert.equal(clientNetwork('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(clientNetwork('2001:0db8:0001:0002:ffff:0:0:9'), '2001:db8:1:2::/64');
    assert.equal(clientNetwork('2001:db8::1'), '2001:db8:0:0::/64');
    assert.notEqual(clientNetwork('2001:db8:1:3::1'), clientNetwork('2001:db8:1:2::1'));
  });
});

describe('slowdown', () => {
  const policy = { afterFailures: 3, stepMs: 250, maxMs: 1000 };
  test('is none for the first failures, then grows by a step per failure up to a cap', () => {
    assert.deepEqual(
      [1, 3, 4, 5, 8, 50].map((n) => slowdownMs(n, policy)),
      [0, 0, 250, 500, 1000, 1000],
    );
  });
});
