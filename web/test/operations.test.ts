/**
 * The admin operations view in real Chromium against the whole stack, under load: while the
 * bench's load generator casts ballots through the gateway (fresh ballots, duplicates, retries)
 * and SSE viewers watch the results, the admin opens the election's operations view and the
 * overall one on the admin home; the charts fill from the SSE stream every second, the ballots/s
 * figure goes above zero, and screenshots are saved to web/test-output/.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { audienceOnOneAddress, BenchIssuer, createOpenElection, provisionVoters, runLoad, subscribe } from '@onevote/bench';
import { shot, signIn, startBrowserStack } from './browser.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.1 A/AA rules on one part of the page: the violations, as "rule: target" lines.
 * Evaluated through the DevTools protocol, so the page's CSP (script-src 'self') is not loosened.
 */
async function axeViolations(page: Page, selector: string): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async (include) => {
    const axe = (window as unknown as { axe: { run(context: unknown, options: unknown): Promise<{ violations: { id: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const result = await axe.run({ include: [include] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
  }, selector);
}

test('the admin watches the operations view fill while ballots are cast', { timeout: 300_000 }, async (t) => {
  const issuer = await BenchIssuer.start();
  t.after(() => issuer.stop());
  const stack = await startBrowserStack(t, { extraIssuers: [issuer.trustEntry], extraEnv: { ...audienceOnOneAddress } });
  const election = await createOpenElection(stack.baseUrl, issuer);
  const page = await (await stack.newContext({ width: 1280, height: 1000 })).newPage();

  await page.goto('/login');
  await signIn(page, stack.admin.email, stack.admin.password);
  await page.waitForURL((url) => url.pathname !== '/login');

  // The audience: 30 ballots a second for 75 s (10% duplicates, 5% same-key retries), and 5 viewers.
  const viewers = subscribe(`${stack.baseUrl}/v1/elections/${election.id}/results/stream`, 5, []);
  t.after(() => viewers.stop());
  const load = runLoad({
    baseUrls: [stack.baseUrl],
    electionId: election.id,
    questionId: election.questionId,
    optionIds: election.optionIds,
    voters: provisionVoters(issuer, 2000, 'onevote', 900),
    durationSeconds: 75,
    concurrency: 4,
    rate: 30,
    duplicateShare: 0.1,
    retryShare: 0.05,
  });
  t.after(() => load);

  await t.test("the election's view shows ballots/s above zero, duplicates and viewers, drawn as charts", async () => {
    await page.goto(`/admin/elections/${election.id}`);
    const panel = page.getByTestId('operations');
    await panel.getByRole('heading', { name: 'Live operations' }).waitFor();
    await panel.getByTestId('ops-connection').filter({ hasText: 'Live' }).waitFor();
    // Non-zero ballots/s (the stream's last frame), some duplicates, the 5 viewers.
    await panel.getByTestId('ops-ballots-now').filter({ hasText: /^(?!0$)[\d,.]+$/ }).waitFor();
    await panel.getByTestId('ops-duplicates').filter({ hasText: /^(?!0$)[\d,.]+$/ }).waitFor();
    await panel.getByTestId('ops-viewers').filter({ hasText: /^5$/ }).waitFor();
    await panel.getByTestId('ops-p99').filter({ hasText: /ms$/ }).waitFor();
    // The charts: images with a name and a description of the latest values; the outcome chart
    // stacks areas of counted and duplicate requests and has filled for a few seconds.
    const outcomes = panel.getByTestId('chart-outcomes');
    const image = outcomes.getByRole('img', { name: /Vote requests per second, by outcome/ });
    await image.waitFor();
    assert.match((await image.getAttribute('aria-labelledby')) ?? '', /\S+ \S+/);
    assert.match((await outcomes.locator('desc').textContent()) ?? '', /^Now: Counted [\d,.]+, .*Duplicate [\d,.]+/);
    await outcomes.locator('polygon.series-counted').waitFor();
    await page.waitForFunction(() => {
      const polygon = document.querySelector('[data-testid="chart-outcomes"] polygon.series-counted');
      // Upper edge points then lower edge: > 10 points per edge is > 10 s of frames.
      return (polygon?.getAttribute('points')?.split(' ').length ?? 0) > 20;
    });
    for (const chart of ['chart-latency', 'chart-commit', 'chart-viewers', 'chart-lags']) {
      // Attached, not "visible": a flat line (5 viewers all along) has a bounding box of no height.
      await panel.getByTestId(chart).locator('polyline').first().waitFor({ state: 'attached' });
    }
    // The ballots reach the relay and the signed log: their lags are drawn too (not "–").
    const lags = panel.getByTestId('chart-lags');
    for (const name of ['Relay', 'Audit log']) {
      await lags.locator('.chart-legend li').filter({ hasText: name }).filter({ hasText: /\d+(\.\d+)? m?s$/ }).waitFor();
    }
    assert.ok((await outcomes.locator('.chart-legend li').count()) >= 2);
    assert.deepEqual(await axeViolations(page, '[data-testid="operations"]'), []);
    await panel.scrollIntoViewIfNeeded();
    await panel.screenshot({ path: new URL('../test-output/operations-01-election-under-load.png', import.meta.url).pathname, animations: 'disabled' });
    await shot(page, 'operations-02-election-page');
  });

  await t.test('the admin home shows every election’s operations, with the busy election listed', async () => {
    await page.goto('/admin');
    const panel = page.getByTestId('operations');
    await panel.getByRole('heading', { name: 'Live operations: all elections' }).waitFor();
    await panel.getByTestId('ops-ballots-now').filter({ hasText: /^(?!0$)[\d,.]+$/ }).waitFor();
    await panel.getByRole('link', { name: 'Bench: best option' }).waitFor();
    await page.waitForFunction(() => {
      const polygon = document.querySelector('[data-testid="chart-outcomes"] polygon.series-counted');
      return (polygon?.getAttribute('points')?.split(' ').length ?? 0) > 10;
    });
    assert.deepEqual(await axeViolations(page, '[data-testid="operations"]'), []);
    await panel.screenshot({ path: new URL('../test-output/operations-03-admin-home.png', import.meta.url).pathname, animations: 'disabled' });
  });

  const state = await load;
  assert.equal(state.contractViolations, 0);
  assert.equal(state.serverErrors, 0);
  assert.ok(state.counted > 0);
  assert.deepEqual(stack.pageErrors, []);
});
