/**
 * The fraud review panel of the admin console in real Chromium against the whole stack (issue 17):
 * 25 voters of one IPv6 /64 and 3 voters of their own networks vote (X-Forwarded-For through the
 * gateway, believed from 127.0.0.1); the admin sees the /64 as a cluster with its ballots per
 * minute, lists its ballots, voids it with a reason after a confirmation, and sees the voided count;
 * the results drop by exactly the cluster.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { adminClient, BenchIssuer, castBallot, createOpenElection, provisionVoters, type Voter } from '@onevote/bench';
import { waitFor } from '@onevote/stack/testing';
import { shot, signIn, startBrowserStack } from './browser.ts';

test('an admin sees a /64 burst as a cluster, lists its ballots and voids it with a reason', { timeout: 300_000 }, async (t) => {
  const issuer = await BenchIssuer.start();
  t.after(() => issuer.stop());
  const stack = await startBrowserStack(t, { extraIssuers: [issuer.trustEntry] });
  const election = await createOpenElection(stack.baseUrl, issuer);
  // The seeded admin reads what a bench admin created: a title to find it by.
  await adminClient(stack.baseUrl, issuer)('GET', `/v1/elections/${election.id}`);

  // Every ballot must count: a busy machine's 503s are retried and a challenge is solved.
  const vote = async (voter: Voter, ip: string, optionId: string) =>
    (await castBallot(stack.baseUrl, voter, election.id, [{ questionId: election.questionId, optionIds: [optionId] }], ip)).status;
  const farm = provisionVoters(issuer, 25, 'onevote', 900);
  const honest = provisionVoters(issuer, 3, 'onevote', 900);
  const statuses = await Promise.all([
    ...farm.map((v, i) => vote(v, `2001:db8:f00:1::${(i + 1).toString(16)}`, election.optionIds[1]!)),
    ...honest.map((v, i) => vote(v, `203.0.${113 + i}.7`, election.optionIds[0]!)),
  ]);
  assert.deepEqual([...new Set(statuses)], [201]);
  const total = async () => ((await (await fetch(`${stack.baseUrl}/v1/elections/${election.id}/results`)).json()) as { totalBallots: number }).totalBallots;
  await waitFor('28 ballots counted', async () => (await total()) === 28);

  const page = await (await stack.newContext({ width: 1200, height: 1000 })).newPage();
  await page.goto('/login');
  await signIn(page, stack.admin.email, stack.admin.password);
  await page.waitForURL((url) => url.pathname !== '/login');
  await page.goto(`/admin/elections/${election.id}`);
  await page.getByRole('heading', { name: 'Fraud review' }).waitFor();

  const cluster = page.locator('[data-testid="review-cluster"][data-kind="subnet"][data-network="2001:db8:f00:1::/64"]');
  await cluster.waitFor();
  assert.equal(await cluster.getByTestId('review-cluster-ballots').textContent(), '25');
  assert.equal(await cluster.getByTestId('review-cluster-voided').textContent(), '0');
  assert.equal(await page.locator('[data-testid="review-cluster"][data-kind="subnet"]').count(), 1, 'honest voters are no cluster');
  assert.match((await cluster.getByRole('img').getAttribute('aria-label')) ?? '', /^Ballots per minute: .+ \d+/);
  assert.equal(await page.getByTestId('review-voided').textContent(), '0');

  await cluster.getByRole('button', { name: 'Show ballots' }).click();
  await page.getByTestId('review-ballots-range').filter({ hasText: '1–25 of 25' }).waitFor();
  assert.equal(await page.getByTestId('review-ballot').count(), 25);
  await shot(page, 'fraud-review-cluster');

  await cluster.getByRole('button', { name: 'Void cluster…' }).click();
  const form = page.getByTestId('void-form');
  await form.getByRole('heading', { name: /^Void 25 ballots of the cluster 2001:db8:f00:1::\/64$/ }).waitFor();
  const submit = form.getByRole('button', { name: 'Void ballots' });
  assert.equal(await submit.isDisabled(), true, 'a reason is required');
  await form.getByLabel(/^Reason/).fill('25 accounts from one /64 within a minute');
  await submit.click();
  await page.getByTestId('void-confirm').waitFor();
  assert.equal(await total(), 28, 'nothing is voided before the confirmation');
  await page.getByRole('button', { name: 'Confirm void' }).click();
  await page.getByTestId('void-outcome').filter({ hasText: 'Voided 25 ballots.' }).waitFor();
  await page.getByTestId('review-voided').filter({ hasText: '25' }).waitFor();
  await cluster.getByTestId('review-cluster-voided').filter({ hasText: '25' }).waitFor();
  await page.locator('[data-testid="review-ballot"][data-voided="true"]').first().waitFor();
  await shot(page, 'fraud-review-voided');

  await waitFor('the results without the cluster', async () => (await total()) === 3);
  // The election's history says who voided how many and why (copied by ballot's scheduler).
  await waitFor('the void in the history', async () => {
    await page.reload();
    await page.getByTestId('history').waitFor();
    return (await page.getByTestId('history-void').count()) === 1;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  assert.equal(
    (await page.getByTestId('history-void').textContent())?.trim(),
    '— 25 ballots voided: 25 accounts from one /64 within a minute',
  );
  assert.deepEqual(stack.pageErrors, []);
});
