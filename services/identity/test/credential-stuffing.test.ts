import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aPassword, aRegisteredVoter, anEmail, Client, type Identity, sharedStores, startIdentity } from './support.ts';

describe('credential-stuffing defences', () => {
  let identity: Identity;
  let base: string;

  before(async () => {
    identity = await startIdentity(await sharedStores(), {
      LOGIN_MAX_FAILURES_PER_ACCOUNT: 10,
      LOGIN_MAX_FAILURES_PER_IP: 12,
      LOGIN_MAX_FAILURES_PER_SUBNET: 30,
    });
    base = identity.base;
  });
  after(() => identity.stop());

  test('15 wrong passwords on one account end in 429 with Retry-After, even for the right password', async () => {
    const { client, email, password } = await aRegisteredVoter(base);
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) statuses.push((await client.login(email, `wrong-password-${i}`)).status);
    assert.deepEqual(statuses.slice(0, 10), Array(10).fill(401));
    assert.deepEqual(statuses.slice(10), Array(5).fill(429));
    const locked = await new Client(base).login(email, password);
    assert.equal(locked.status, 429, 'locked from every address');
    assert.equal(locked.body.code, 'rate_limited');
    assert.ok(Number(locked.headers.get('retry-after')) > 0);

    const other = await aRegisteredVoter(base);
    const fromSameIp = new Client(base, client.ip);
    assert.equal((await fromSameIp.login(other.email, other.password)).status, 200, 'other accounts unaffected');
  });

  test('an unknown email is locked out the same way, so lockout does not reveal registration', async () => {
    const email = anEmail();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push((await new Client(base).login(email, aPassword())).status);
    assert.deepEqual(statuses, [...Array(10).fill(401), 429]);
  });

  test('one address trying many accounts gets 429 from the address counter', async () => {
    const client = new Client(base);
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++) statuses.push((await client.login(anEmail(), 'guessed-password-1')).status);
    assert.deepEqual(statuses, [...Array(12).fill(401), 429]);
    const victim = await aRegisteredVoter(base);
    assert.equal((await client.login(victim.email, victim.password)).status, 429, 'the address is locked');
    assert.equal((await victim.client.login(victim.email, victim.password)).status, 200, 'the account is not');
  });

  test('many addresses of one /24 trying many accounts get 429 from the network counter', async () => {
    const network = `192.0.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) {
      const client = new Client(base, `${network}.${i + 1}`);
      statuses.push((await client.login(anEmail(), 'guessed-password-2')).status);
    }
    assert.deepEqual(statuses, [...Array(30).fill(401), 429]);
  });

  test('failures are counted as metrics by outcome', async () => {
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /identity_logins_total\{outcome="invalid_credentials"[^}]*\} \d+/);
    assert.match(metrics, /identity_logins_total\{outcome="rate_limited"[^}]*\} \d+/);
    assert.match(metrics, /identity_challenges_total\{event="issued"[^}]*\} \d+/);
  });
});
