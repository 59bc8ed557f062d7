import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { altchaConfigProperties, expectedAttempts } from '@onevote/auth';
import { configSchema } from '../config.ts';
import { type LoginPolicy, loginLevel, type RegistrationPolicy, registrationLevel } from './challenge-policy.ts';

const defaults = configSchema.properties;
// The shipped defaults, so this test says what a deployment does out of the box.
const registration: RegistrationPolicy = {
  allowancePerIp: defaults.REGISTRATION_ALLOWANCE_PER_IP_PER_HOUR.default,
  allowancePerSubnet: defaults.REGISTRATION_ALLOWANCE_PER_SUBNET_PER_HOUR.default,
  maxLevel: altchaConfigProperties.ALTCHA_MAX_LEVEL.default,
};
const capPerIp = defaults.REGISTRATIONS_PER_IP_PER_HOUR.default;
const baseWork = altchaConfigProperties.ALTCHA_BASE_WORK.default;

describe('registration challenge level', () => {
  test('a venue: 2,000 registrations in 10 minutes from one public address all get in, the last at level 5', () => {
    // One registration every 0.3 s; all of them fall into the same hourly window.
    const levels: number[] = [];
    for (let done = 0; done < 2000; done++) {
      assert.ok(done < capPerIp, 'the backstop is never reached');
      levels.push(registrationLevel({ ip: done, subnet: done }, registration));
    }
    assert.equal(levels[0], 0);
    assert.equal(Math.max(...levels), 5);
    // Level 5 is 32 × the base work: about 2 s in desktop Chromium with two workers
    // (web/bench/solve-time.ts), several times that on a slow phone.
    assert.equal(expectedAttempts(baseWork, 5), 32 * baseWork);
    const mean = levels.reduce((sum, l) => sum + expectedAttempts(baseWork, l), 0) / levels.length;
    assert.ok(mean < 16 * baseWork, `mean work per person ${mean / baseWork} × base`);
  });

  test('a script farm pays more per account the more it makes: the work per account doubles with its volume', () => {
    const at = (n: number) => registrationLevel({ ip: n, subnet: n }, registration);
    assert.deepEqual([100, 1000, 5000, 9999].map(at), [1, 4, 6, 7]);
    // Total work for n accounts from one address grows about as n²: 10 × the accounts, ~100 × the work.
    const total = (n: number) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += expectedAttempts(1, at(i));
      return sum;
    };
    assert.ok(total(10_000) / total(1000) > 90);
  });

  test('the network counts too: addresses rotated inside one /24 reach the network level', () => {
    assert.equal(registrationLevel({ ip: 1, subnet: 200 }, registration), 1);
    assert.equal(registrationLevel({ ip: 1, subnet: 1600 }, registration), 4);
  });
});

describe('login challenge level', () => {
  const login: LoginPolicy = {
    allowancePerAccountNetwork: 10,
    allowancePerAccount: 100,
    allowancePerIp: 20,
    allowancePerSubnet: 100,
    maxLevel: 12,
  };

  test('failures on an account from one network raise that pair only', () => {
    assert.equal(loginLevel({ accountNetwork: 9, account: 9, ip: 9, subnet: 9 }, login), 0);
    assert.equal(loginLevel({ accountNetwork: 10, account: 10, ip: 0, subnet: 10 }, login), 1);
    assert.equal(loginLevel({ accountNetwork: 0, account: 10, ip: 0, subnet: 0 }, login), 0, 'the owner elsewhere');
  });

  test('a guesser spread over many networks raises the account for everyone, never to a lockout', () => {
    assert.equal(loginLevel({ accountNetwork: 0, account: 400, ip: 0, subnet: 0 }, login), 3);
    assert.equal(loginLevel({ accountNetwork: 0, account: 1e9, ip: 0, subnet: 0 }, login), 12);
  });

  test('an address or network with many failures on any accounts pays more before its backstop', () => {
    assert.equal(loginLevel({ ip: 40, subnet: 40 }, login), 2);
    assert.equal(loginLevel({ ip: 1, subnet: 200 }, login), 2);
  });
});
