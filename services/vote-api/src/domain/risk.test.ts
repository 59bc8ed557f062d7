import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assessRisk, type RiskSignals, type RiskThresholds, subnetOf } from './risk.ts';

const thresholds: RiskThresholds = {
  keyVotersChallenge: 3,
  keyVotersDeny: 10,
  subnetVotersChallenge: 100,
  subnetVotersDeny: 0,
  ipVelocityChallenge: 50,
  ipVelocityDeny: 500,
  minTokenAgeSeconds: 0,
};

const signals = (overrides: Partial<RiskSignals> = {}): RiskSignals => ({
  votersPerKey: 1,
  votersPerSubnet: 1,
  ipVelocity: 1,
  tokenAgeSeconds: 60,
  requireChallenge: false,
  ...overrides,
});

describe('risk rules', () => {
  test('an ordinary voter is allowed', () => {
    assert.deepEqual(assessRisk(signals(), thresholds), { outcome: 'allow', reasons: [] });
  });

  test('a key shared by a few voters is challenged, by many is denied', () => {
    assert.equal(assessRisk(signals({ votersPerKey: 2 }), thresholds).outcome, 'allow');
    assert.deepEqual(assessRisk(signals({ votersPerKey: 3 }), thresholds), {
      outcome: 'challenge',
      reasons: ['voters_per_key'],
    });
    assert.deepEqual(assessRisk(signals({ votersPerKey: 10 }), thresholds), {
      outcome: 'deny',
      reasons: ['voters_per_key'],
    });
  });

  test('a threshold of 0 switches its rule off', () => {
    const decision = assessRisk(signals({ votersPerSubnet: 1_000_000 }), {
      ...thresholds,
      subnetVotersChallenge: 0,
    });
    assert.equal(decision.outcome, 'allow');
  });

  test('the most severe outcome wins and lists only its reasons', () => {
    const decision = assessRisk(
      signals({ votersPerKey: 4, ipVelocity: 600, votersPerSubnet: 150 }),
      thresholds,
    );
    assert.deepEqual(decision, { outcome: 'deny', reasons: ['ip_velocity'] });
  });

  test('elections that require a challenge always challenge', () => {
    assert.deepEqual(assessRisk(signals({ requireChallenge: true }), thresholds), {
      outcome: 'challenge',
      reasons: ['election_requires_challenge'],
    });
  });

  test('a token used right after its issue is challenged when the rule is on', () => {
    const on = { ...thresholds, minTokenAgeSeconds: 5 };
    assert.deepEqual(assessRisk(signals({ tokenAgeSeconds: 1 }), on), {
      outcome: 'challenge',
      reasons: ['fresh_token'],
    });
    assert.equal(assessRisk(signals({ tokenAgeSeconds: 6 }), on).outcome, 'allow');
  });

  test('unknown signals (Redis away) do not count against the voter', () => {
    const decision = assessRisk(
      signals({ votersPerKey: undefined, votersPerSubnet: undefined, ipVelocity: undefined }),
      thresholds,
    );
    assert.equal(decision.outcome, 'allow');
  });
});

describe('subnetOf', () => {
  test('IPv4 addresses group by /24, mapped ones too', () => {
    assert.equal(subnetOf('203.0.113.7'), '203.0.113.0/24');
    assert.equal(subnetOf('::ffff:203.0.113.99'), '203.0.113.0/24');
  });

  test('IPv6 addresses group by /64 whatever their spelling', () => {
    assert.equal(subnetOf('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(subnetOf('2001:0db8:0001:0002:0000:0000:0000:0009'), '2001:db8:1:2::/64');
    assert.equal(subnetOf('2001:db8::1'), '2001:db8:0:0::/64');
    assert.equal(subnetOf('::1'), '0:0:0:0::/64');
  });
});
