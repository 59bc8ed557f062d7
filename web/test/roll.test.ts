/**
 * The voter-roll section of the admin console in real Chromium against the whole stack: the admin
 * creates a roll election, uploads a 20,000-line CSV (a header, duplicates in another case, lines
 * that are not an address) with the progress shown, reads the summary and the roll's size, replaces
 * the roll, and is refused once the election is closed (the 409's detail, then the section disabled).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { shot, signIn, startBrowserStack } from './browser.ts';

/** 20,000 lines: the header, 19,992 distinct addresses, 4 of them again differently written, 3 non-addresses. */
function bigRoll(): { text: string; lines: number; size: number; invalid: number } {
  const lines = ['email'];
  for (let i = 0; i < 19_992; i++) lines.push(`voter-${String(i).padStart(5, '0')}@example.org`);
  const again = ['VOTER-00001@Example.org', '  voter-00002@EXAMPLE.ORG  ', '"Voter-00003@example.org"', 'voter-19991@example.ORG'];
  const invalid = ['not an address', 'two@at@example.org', 'a,b@example.org'];
  // Spread through the file, not at its end.
  [...again, ...invalid].forEach((line, i) => lines.splice(1_000 + i * 2_500, 0, line));
  return { text: `${lines.join('\n')}\n`, lines: lines.length, size: 19_992, invalid: invalid.length };
}

test('an admin uploads a voter roll with progress, replaces it, and cannot once the election is closed', {
  timeout: 240_000,
}, async (t) => {
  const stack = await startBrowserStack(t);
  const dir = mkdtempSync(join(tmpdir(), 'onevote-roll-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const page = await (await stack.newContext({ width: 1100, height: 900 })).newPage();
  /** A number as the page writes it (its locale's separators). */
  const n = (value: number) => page.evaluate((v) => v.toLocaleString(), value);
  const fileInput = (p: Page) => p.getByLabel('CSV file of email addresses');
  let electionId = '';

  await t.test('a new roll election says its roll is empty and nobody can vote', async () => {
    await page.goto('/login');
    await signIn(page, stack.admin.email, stack.admin.password);
    await page.waitForURL((url) => url.pathname !== '/login');
    await page.goto('/admin/elections/new');
    await page.getByLabel('Title').fill('Board election');
    const q = page.getByRole('group', { name: 'Question 1' });
    await q.getByLabel('Question', { exact: true }).fill('Chair');
    await q.getByLabel('Question 1, option 1').fill('Ann');
    await q.getByLabel('Question 1, option 2').fill('Bob');
    await page.getByLabel('Who can vote').selectOption('roll');
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.waitForURL(/\/admin\/elections\/(?!new$)[^/]+$/);
    electionId = new URL(page.url()).pathname.split('/').at(-1)!;
    assert.equal(await page.getByTestId('election-eligibility').textContent(), 'voters on the voter roll');

    await page.getByRole('heading', { name: 'Voter roll' }).waitFor();
    await page.getByTestId('roll-empty').waitFor();
    assert.equal(await page.getByTestId('roll-size').textContent(), '0');
    assert.equal(await page.getByTestId('roll-voted').textContent(), '0');
    // Nothing to send until a file is chosen.
    assert.equal(await page.getByRole('button', { name: 'Upload roll' }).isDisabled(), true);
  });

  await t.test('a 20,000-line CSV is uploaded with its progress, and the summary counts each address once', async () => {
    const roll = bigRoll();
    assert.equal(roll.lines, 20_000);
    const path = join(dir, 'members.csv');
    writeFileSync(path, roll.text);

    await fileInput(page).setInputFiles(path);
    await page.getByRole('button', { name: 'Upload roll' }).click();
    const expected = `${await n(roll.size)} addresses on the roll (${await n(roll.size)} new), ${roll.invalid} lines were not an address`;
    await page.getByTestId('roll-result').filter({ hasText: expected }).waitFor();
    assert.equal(await page.getByTestId('roll-result').textContent(), expected);
    assert.equal(await page.getByTestId('roll-progress').getAttribute('value'), '100');
    assert.match((await page.getByTestId('roll-progress-text').textContent()) ?? '', /^Sent members\.csv \([\d.]+ KB\): 100%$/);
    // The polite region says it too, for a screen reader.
    assert.equal(await page.getByTestId('roll-announcement').textContent(), `Roll uploaded. ${expected}.`);
    // The numbers are read again from the server.
    await page.getByTestId('roll-size').filter({ hasText: await n(roll.size) }).waitFor();
    assert.equal(await page.getByTestId('roll-empty').count(), 0);
    // The upload is in the election's history, read again after it.
    await page.getByTestId('history').getByText('roll', { exact: true }).waitFor();
    await shot(page, 'roll-01-uploaded');
  });

  await t.test('uploading again is labelled as replacing the roll; only the new file counts', async () => {
    const path = join(dir, 'smaller.csv');
    const kept = [0, 1, 2, 3, 4].map((i) => `voter-0000${i}@example.org`);
    const added = [0, 1, 2, 3, 4].map((i) => `new-${i}@example.org`);
    writeFileSync(path, [...kept, ...added].join('\r\n'));
    await page.getByText(/Uploading replaces the whole roll: the [\d,. ]+ addresses on it now are removed/).waitFor();
    await fileInput(page).setInputFiles(path);
    await page.getByRole('button', { name: 'Replace roll' }).click();
    const expected = '10 addresses on the roll (5 new), 0 lines were not an address';
    await page.getByTestId('roll-result').filter({ hasText: expected }).waitFor();
    await page.getByTestId('roll-size').filter({ hasText: /^10$/ }).waitFor();
  });

  await t.test('once the election is closed, an upload is refused with the reason and the section is disabled', async () => {
    await page.getByRole('button', { name: 'Open voting' }).click();
    await page.getByTestId('election-status').filter({ hasText: 'open' }).waitFor();
    // Closed from another tab: this one still shows the election open and lets the admin try.
    const other = await page.context().newPage();
    other.once('dialog', (dialog) => void dialog.accept());
    await other.goto(`/admin/elections/${electionId}`);
    await other.getByRole('button', { name: 'Close voting' }).click();
    await other.getByTestId('election-status').filter({ hasText: 'closed' }).waitFor();
    await other.getByTestId('roll-closed').waitFor();
    assert.equal(await fileInput(other).isDisabled(), true);
    assert.equal(await other.getByRole('button', { name: 'Replace roll' }).isDisabled(), true);
    await other.close();

    const path = join(dir, 'late.csv');
    writeFileSync(path, 'email\nlate@example.org\n');
    await fileInput(page).setInputFiles(path);
    await page.getByRole('button', { name: 'Replace roll' }).click();
    await page
      .getByTestId('roll-error')
      .filter({ hasText: 'The election is closed: its roll can no longer change' })
      .waitFor();
    // The page reads the election again and shows it closed, the upload disabled.
    await page.getByTestId('election-status').filter({ hasText: 'closed' }).waitFor();
    await page.getByTestId('roll-closed').waitFor();
    assert.equal(await fileInput(page).isDisabled(), true);
    await page.getByTestId('roll-size').filter({ hasText: /^10$/ }).waitFor();
    await shot(page, 'roll-02-closed');
    assert.deepEqual(stack.pageErrors, []);
  });
});
