import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aPassword, aRegisteredVoter, anEmail, Client, type Identity, sharedStores, startIdentity } from './support.ts';

describe('credential-stuffing defences', () => {
  let identity: Identity;
  let base: string;

  before(async () => {
    identity = await startIdentity(await sharedStores(), {
      LOGIN_FAILURE_ALLOWANCE_PER_ACCOUNT_NETWORK: 10,
      LOGIN_MAX_FAILURES_PER_IP: 12,
      LOGIN_MAX_FAILURES_PER_SUBNET: 30,
    });
    base = identity.base;
  });
  after(() => identity.stop());

  let networks = 0;
  /** A /24 of its own per call (distinct from anIp()'s 198.51.x.y). */
  const aNetwork = () => `10.${process.pid % 250}.${networks++ % 250}`;

  /**
   * A login as a browser makes it: a login challenge at the level this network is issued; if the
   * answer names a higher `challengeLevel`, one retry with a challenge of that level.
   */
  async function loginFollowingLevel(client: Client, email: string, password: string) {
    const first = await client.login(email, password);
    if (first.status !== 403 || first.body.challengeLevel === undefined) return { ...first, levels: [0] };
    const level = first.body.challengeLevel;
    const retried = await client.login(email, password, { altcha: await client.altcha({ purpose: 'login', level }) });
    return { ...retried, levels: [0, level] };
  }

  test('10+ wrong passwords from one network never lock the account: from another network the right password logs in at once, from that one it needs a harder challenge', async () => {
    const { email, password } = await aRegisteredVoter(base);
    const networkA = aNetwork();
    const attempts: { status: number; levels: number[] }[] = [];
    for (let i = 0; i < 12; i++) {
      // A different address each time, so only the account-and-network counter grows.
      const answer = await loginFollowingLevel(new Client(base, `${networkA}.${i + 1}`), email, `wrong-password-${i}`);
      attempts.push({ status: answer.status, levels: answer.levels });
    }
    assert.deepEqual(
      attempts.map((a) => a.status),
      Array(12).fill(401),
      'each wrong password is answered as wrong, never locked',
    );
    assert.deepEqual(
      attempts.map((a) => a.levels.at(-1)),
      [...Array(10).fill(0), 1, 1],
      'past 10 failures from network A its login challenge is level 1',
    );

    const fromB = new Client(base, `${aNetwork()}.7`);
    const owner = await fromB.login(email, password, { altcha: await fromB.altcha({ purpose: 'login', level: 0 }) });
    assert.equal(owner.status, 200, `the owner on network B: ${JSON.stringify(owner.body)}`);

    const fromA = new Client(base, `${networkA}.99`);
    const easy = await fromA.login(email, password, { altcha: await fromA.altcha({ purpose: 'login', level: 0 }) });
    assert.equal(easy.status, 403);
    assert.equal(easy.body.code, 'challenge_failed');
    assert.equal(easy.body.challengeLevel, 1);
    assert.match(String((easy.body as { detail?: string }).detail), /level=1/);
    const harder = await fromA.login(email, password, { altcha: await fromA.altcha({ purpose: 'login', level: 1 }) });
    assert.equal(harder.status, 200, 'from network A with a level-1 challenge');
  });

  test('an unknown email gets exactly the answers and levels of a registered one, so neither tells whether it exists', async () => {
    const registered = await aRegisteredVoter(base);
    const sequence = async (email: string) => {
      const network = aNetwork();
      const out: string[] = [];
      for (let i = 0; i < 12; i++) {
        const answer = await loginFollowingLevel(new Client(base, `${network}.${i + 1}`), email, aPassword());
        out.push(`${answer.status}@${answer.levels.at(-1)}`);
      }
      return out;
    };
    const known = await sequence(registered.email);
    assert.deepEqual(await sequence(anEmail()), known);
    assert.deepEqual(known, [...Array(10).fill('401@0'), '401@1', '401@1']);
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
    const metrics = await (await fetch(`${identity.opsUrl}/metrics`)).text();
    assert.match(metrics, /identity_logins_total\{outcome="invalid_credentials"[^}]*\} \d+/);
    assert.match(metrics, /identity_logins_total\{outcome="rate_limited"[^}]*\} \d+/);
    assert.match(metrics, /identity_challenges_total\{event="issued"[^}]*\} \d+/);
    assert.match(metrics, /identity_challenges_total\{event="too_easy"[^}]*\} \d+/);
    assert.match(metrics, /identity_challenge_level_bucket\{le="1",[^}]*purpose="login"\} \d+/);
  });
});
