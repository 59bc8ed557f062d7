import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { altchaConfigProperties } from '@onevote/auth';
import { configSchema } from '../config.ts';
import { assessRisk, type RiskSignals, type RiskThresholds, subnetOf } from './risk.ts';

const thresholds: RiskThresholds = {
  keyVotersChallenge: 3,
  keyVotersDeny: 10,
  subnetVotersChallenge: 100,
  subnetVotersDeny: 0,
  ipVelocityChallenge: 50,
  ipVelocityDeny: 500,
  minTokenAgeSeconds: 0,
  unknownSignals: 'challenge',
  maxChallengeLevel: 12,
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
    assert.deepEqual(assessRisk(signals(), thresholds), { outcome: 'allow', reasons: [], level: 0 });
  });

  test('a key shared by a few voters is challenged, by many is denied', () => {
    assert.equal(assessRisk(signals({ votersPerKey: 2 }), thresholds).outcome, 'allow');
    assert.deepEqual(assessRisk(signals({ votersPerKey: 3 }), thresholds), {
      outcome: 'challenge',
      reasons: ['voters_per_key'],
      level: 0,
    });
    assert.deepEqual(assessRisk(signals({ votersPerKey: 10 }), thresholds), {
      outcome: 'deny',
      reasons: ['voters_per_key'],
      level: 0,
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
    assert.deepEqual(decision, { outcome: 'deny', reasons: ['ip_velocity'], level: 0 });
  });

  test('elections that require a challenge always challenge', () => {
    assert.deepEqual(assessRisk(signals({ requireChallenge: true }), thresholds), {
      outcome: 'challenge',
      reasons: ['election_requires_challenge'],
      level: 0,
    });
  });

  test('a token used right after its issue is challenged when the rule is on', () => {
    const on = { ...thresholds, minTokenAgeSeconds: 5 };
    assert.deepEqual(assessRisk(signals({ tokenAgeSeconds: 1 }), on), {
      outcome: 'challenge',
      reasons: ['fresh_token'],
      level: 0,
    });
    assert.equal(assessRisk(signals({ tokenAgeSeconds: 6 }), on).outcome, 'allow');
  });

  test('unknown signals (Redis slow or away) mean a challenge, not a free pass', () => {
    const unknown = signals({ votersPerKey: undefined, votersPerSubnet: undefined, ipVelocity: undefined });
    assert.deepEqual(assessRisk(unknown, thresholds), {
      outcome: 'challenge',
      reasons: ['signals_unknown'],
      level: 0,
    });
    assert.equal(assessRisk(unknown, { ...thresholds, unknownSignals: 'allow' }).outcome, 'allow');
  });

  test('the challenge level rises with the network’s distinct voters: one level per doubling past the threshold', () => {
    const levels = [99, 100, 199, 200, 400, 800, 1_000_000].map((votersPerSubnet) => {
      const d = assessRisk(signals({ votersPerSubnet }), thresholds);
      return `${d.outcome}@${d.level}`;
    });
    assert.deepEqual(levels, ['allow@0', 'challenge@0', 'challenge@0', 'challenge@1', 'challenge@2', 'challenge@3', 'challenge@12']);
  });

  test('with the shipped defaults a venue of 2,000 voters in one network is challenged, never denied', () => {
    const d = configSchema.properties;
    const defaults: RiskThresholds = {
      keyVotersChallenge: d.RISK_KEY_VOTERS_CHALLENGE.default,
      keyVotersDeny: d.RISK_KEY_VOTERS_DENY.default,
      subnetVotersChallenge: d.RISK_SUBNET_VOTERS_CHALLENGE.default,
      subnetVotersDeny: d.RISK_SUBNET_VOTERS_DENY.default,
      ipVelocityChallenge: d.RISK_IP_VELOCITY_CHALLENGE.default,
      ipVelocityDeny: d.RISK_IP_VELOCITY_DENY.default,
      minTokenAgeSeconds: d.RISK_MIN_TOKEN_AGE_SECONDS.default,
      unknownSignals: d.RISK_UNKNOWN_SIGNALS.default as 'challenge',
      maxChallengeLevel: altchaConfigProperties.ALTCHA_MAX_LEVEL.default,
    };
    // Every voter once, 50 polls in the hour, two requests each, all behind one address.
    const venue = assessRisk(signals({ votersPerSubnet: 2000, ipVelocity: 2000 * 50 * 2 }), defaults);
    assert.deepEqual(venue, { outcome: 'challenge', reasons: ['voters_per_subnet', 'ip_velocity'], level: 3 });
    // Ten times the venue is refused: the deny rules are on by default.
    assert.equal(assessRisk(signals({ votersPerSubnet: 20_000 }), defaults).outcome, 'deny');
    assert.equal(assessRisk(signals({ ipVelocity: 1_000_000 }), defaults).outcome, 'deny');
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
