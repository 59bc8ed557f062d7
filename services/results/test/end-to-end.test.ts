import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { aVoter, TokenIssuer } from '@onevote/auth/client';
import { freePort, ManagedProcess, repoRoot } from '@onevote/stack';
import { anElection, ResultsWorld, SseClient, waitFor } from './harness.ts';

let issuer: TokenIssuer;
let world: ResultsWorld;
before(async () => {
  issuer = await TokenIssuer.start();
  world = await ResultsWorld.start();
});
after(async () => {
  await world.stop();
  await issuer.stop();
});

// vote-api runs as its own process (its real main.ts), results in this one; they share only
// PostgreSQL, NATS and the elections bucket, as in production. (startTestStack() would also need
// identity and ballot, which are not needed here.)
test('a ballot counted by the real vote-api reaches an SSE subscriber of results', async () => {
  const port = await freePort();
  const opsPort = await freePort();
  const voteApi = new ManagedProcess({
    name: 'vote-api',
    command: process.execPath,
    args: ['--import', 'tsx', join(repoRoot, 'services/vote-api/src/main.ts')],
    cwd: repoRoot,
    logFile: '/dev/null',
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      OPS_PORT: String(opsPort),
      LOG_LEVEL: 'warn',
      DATABASE_URL: world.urls.voteApiDb,
      REDIS_URL: world.urls.redis,
      NATS_URL: world.urls.nats,
      ELECTIONS_BUCKET: world.bucket,
      TRUSTED_ISSUERS: JSON.stringify([issuer.trustEntry]),
      ALTCHA_HMAC_KEY: randomBytes(32).toString('hex'),
      REDIS_KEY_PREFIX: `e2e${randomBytes(4).toString('hex')}:`,
      RISK_SUBNET_VOTERS_CHALLENGE: '0',
      RISK_IP_VELOCITY_CHALLENGE: '0',
    },
  });
  try {
    await waitFor('vote-api ready', async () => {
      if (!voteApi.running) throw new Error(`vote-api exited with ${await voteApi.exited}`);
      return (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).ok;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const { url } = await world.startResults();
    const election = anElection();
    await world.publish(election);
    const results = `${url}/v1/elections/${election.id}/results`;
    await waitFor('results knows the election', async () => (await fetch(results)).ok);
    const sse = await SseClient.open(`${results}/stream`);
    try {
      await waitFor('the first frame', () => sse.frames.length === 1);
      const question = election.questions[0]!;
      const votes = `http://127.0.0.1:${port}/v1/elections/${election.id}/votes`;
      for (const voter of [await aVoter(issuer), await aVoter(issuer)]) {
        await waitFor('vote-api counts the ballot', async () => {
          const res = await fetch(votes, {
            method: 'POST',
            headers: {
              ...(await voter.headers('POST', votes)),
              'content-type': 'application/json',
              'idempotency-key': randomUUID(),
            },
            body: JSON.stringify({
              selections: [{ questionId: question.id, optionIds: [question.options[1]!.id] }],
            }),
          });
          return res.status === 201;
        });
      }
      await waitFor('the SSE subscriber sees both ballots', () => sse.latest().totalBallots === 2, {
        timeoutMs: 5000,
      });
      const options = (sse.latest().questions as { options: { votes: number }[] }[])[0]!.options;
      assert.deepEqual(
        options.map((o) => o.votes),
        [0, 2],
      );
    } finally {
      sse.close();
    }
  } finally {
    await voteApi.stop();
  }
});
