/**
 * Issue 14, item 10: one ALTCHA solution is good for one action in the whole system. Identity runs
 * as its own process (its real main.ts), vote-api in this one; they share only Redis and the HMAC
 * key, as in production, and each uses its default spent-store prefix.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { solveAltcha, TokenIssuer } from '@onevote/auth/client';
import { freePort, ManagedProcess, repoRoot } from '@onevote/stack';
import { freshDatabase, testInfra, uniqueName, waitFor } from '@onevote/stack/testing';
import { aBallot, anElection, aVoter, startVoteApi, type VoteApiUnderTest, vote } from './harness.ts';

describe('one solution, one use, across identity and vote-api', () => {
  const hmacKey = randomBytes(32).toString('hex');
  let issuer: TokenIssuer;
  let api: VoteApiUnderTest;
  let identity: ManagedProcess;
  let identityUrl: string;

  before(async () => {
    issuer = await TokenIssuer.start();
    const db = await freshDatabase();
    api = await startVoteApi({
      issuer,
      databaseUrl: db.urls['vote-api']!,
      adminUrl: db.adminUrl,
      env: { ALTCHA_HMAC_KEY: hmacKey },
    });
    const port = await freePort();
    const opsPort = await freePort();
    identityUrl = `http://127.0.0.1:${port}`;
    identity = new ManagedProcess({
      name: 'identity',
      command: process.execPath,
      args: ['--import', 'tsx', join(repoRoot, 'services/identity/src/main.ts')],
      cwd: repoRoot,
      logFile: '/dev/null',
      env: {
        PATH: process.env.PATH,
        HOST: '127.0.0.1',
        PORT: String(port),
        OPS_PORT: String(opsPort),
        LOG_LEVEL: 'warn',
        DATABASE_URL: db.urls.identity!,
        REDIS_URL: (await testInfra()).redisUrl,
        REDIS_PREFIX: `${uniqueName('identity')}:`,
        TOKEN_ISSUER: identityUrl,
        TRUSTED_ISSUERS: JSON.stringify([{ issuer: identityUrl, jwksUrl: `${identityUrl}/.well-known/jwks.json` }]),
        KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
        EMAIL_HASH_KEY: randomBytes(32).toString('base64url'),
        ALTCHA_HMAC_KEY: hmacKey,
        ALTCHA_COST: '1',
        ALTCHA_BASE_WORK: '20',
      },
    });
    await waitFor(
      'identity ready',
      async () => {
        if (!identity.running) throw new Error(`identity exited with ${await identity.exited}`);
        return (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.ok ?? false;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
  });
  after(async () => {
    await identity?.stop();
    await api?.stop();
    await issuer?.stop();
  });

  const solvedChallenge = async () => {
    const res = await fetch(`${identityUrl}/v1/auth/challenge`);
    assert.equal(res.status, 200);
    return solveAltcha((await res.json()) as never);
  };
  const register = (altcha: string) =>
    fetch(`${identityUrl}/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${uniqueName('voter')}@example.org`, password: 'a fine long passphrase', altcha }),
    });

  test('a solution spent on a registration at identity is refused for a ballot at vote-api', async () => {
    const election = anElection({ requireChallenge: true });
    await api.publish(election);
    const altcha = await solvedChallenge();
    assert.equal((await register(altcha)).status, 201);
    const ballot = await vote(api, await aVoter(issuer), election.id, { selections: aBallot(election), altcha });
    assert.equal(ballot.status, 403);
    assert.equal(ballot.body.code, 'challenge_failed');
    assert.match(String(ballot.body.detail), /already used/);
    // A fresh one from the same issuer is accepted: the refusal was the reuse, not the key.
    const fresh = await vote(api, await aVoter(issuer), election.id, {
      selections: aBallot(election),
      altcha: await solvedChallenge(),
    });
    assert.equal(fresh.status, 201);
  });

  test('and one spent on a ballot is refused for a registration', async () => {
    const election = anElection({ requireChallenge: true });
    await api.publish(election);
    const altcha = await solvedChallenge();
    const ballot = await vote(api, await aVoter(issuer), election.id, { selections: aBallot(election), altcha });
    assert.equal(ballot.status, 201);
    const again = await register(altcha);
    assert.equal(again.status, 403);
    assert.equal(((await again.json()) as { code: string }).code, 'challenge_failed');
  });
});
