import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { TokenIssuer } from '@onevote/auth/client';
import { freshDatabase } from '@onevote/stack/testing';
import { aBallot, anElection, aVoter, startVoteApi, type VoteApiUnderTest } from './harness.ts';

// Behind CloudFront and the ALB every request arrives from the load balancer, with the edge's
// address last in X-Forwarded-For: per-IP limits must key on the viewer (issue 14, item 2).
let issuer: TokenIssuer;
let api: VoteApiUnderTest;
const originSecret = 'origin-secret-from-cloudfront-0123456789';

before(async () => {
  issuer = await TokenIssuer.start();
  const db = await freshDatabase();
  api = await startVoteApi({
    issuer,
    databaseUrl: db.urls['vote-api']!,
    adminUrl: db.adminUrl,
    env: { RATE_PER_IP: '2', RATE_WINDOW_SECONDS: '60', ORIGIN_SECRET: originSecret },
  });
});
after(async () => {
  await api.stop();
  await issuer.stop();
});

/** A ballot as it arrives through CloudFront -> ALB: the edge's address in X-Forwarded-For. */
async function voteThroughEdge(electionId: string, selections: unknown, edge: Record<string, string>) {
  const voter = await aVoter(issuer);
  const url = `${api.base}/v1/elections/${electionId}/votes`;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      'x-forwarded-for': '130.176.0.10',
      ...(await voter.headers('POST', url)),
      ...edge,
    },
    body: JSON.stringify({ selections }),
  });
  await res.arrayBuffer();
  return res.status;
}

test('per-IP limits key on the CloudFront viewer address: two viewers behind one edge have their own budgets', async () => {
  const election = anElection();
  await api.publish(election);
  const viewer = (address: string) => ({ 'x-origin-verify': originSecret, 'cloudfront-viewer-address': address });
  const a = [];
  for (let i = 0; i < 3; i++) a.push(await voteThroughEdge(election.id, aBallot(election), viewer('198.51.100.7:50000')));
  assert.deepEqual(a, [201, 201, 429], 'viewer A spends its own budget of 2');
  assert.equal(await voteThroughEdge(election.id, aBallot(election), viewer('203.0.113.9:41000')), 201, 'viewer B is not limited by A');
});

test('a viewer address without the origin secret (the ALB reached directly) is not believed', async () => {
  const election = anElection();
  await api.publish(election);
  const forged = (address: string) => ({ 'x-origin-verify': 'a-guess', 'cloudfront-viewer-address': address });
  // They all count against the edge address 130.176.0.10, whatever viewer address they claim.
  const answers = [];
  for (let i = 0; i < 3; i++) answers.push(await voteThroughEdge(election.id, aBallot(election), forged(`192.0.2.${i + 1}:1000`)));
  assert.equal(answers.filter((s) => s === 429).length, 1, `forged addresses share one budget: ${answers}`);
});
