/**
 * End to end in real headless Chromium (Debian's, never a downloaded one) against the whole stack:
 * the admin creates and opens an election in the console, two voters register and vote in their
 * own browser contexts, a results page updates live without reload, and a second vote by the same
 * voter is answered "already voted" with the first receipt. A screenshot of each screen goes to
 * web/test-output/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startTestStack } from '@onevote/stack/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const webDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = fileURLToPath(new URL('../test-output/', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const adminEmail = process.env.ONEVOTE_ADMIN_EMAIL ?? 'admin@onevote.local';
const adminPassword = process.env.ONEVOTE_ADMIN_PASSWORD ?? 'admin-password-123';
// Solving ALTCHA at the identity service's default cost, plus argon2id, plus a loaded 2-core CI box.
const stepTimeout = 60_000;

let baseUrl: string;
let browser: Browser;
const pageErrors: string[] = [];

/** The newest modification time under a folder: a UI older than its source is built again. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The stack and the browser; both stop when the test that started them ends. */
async function setUp(t: TestContext) {
  if (!existsSync(`${webDir}/dist/index.html`) || newestSource(`${webDir}/src`) > statSync(`${webDir}/dist/index.html`).mtimeMs) {
    const built = spawnSync('npm', ['run', 'build', '--workspace', 'web'], { cwd: `${webDir}/..`, stdio: 'inherit' });
    assert.equal(built.status, 0, 'the web UI must build');
  }
  mkdirSync(outDir, { recursive: true });
  // startTestStack registers its own stop with the test that calls it, so it is called here.
  const stack = await startTestStack();
  baseUrl = stack.gatewayUrl;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(() => browser.close());
}

async function newContext(viewport: { width: number; height: number }): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  context.setDefaultTimeout(stepTimeout);
  context.on('page', watchErrors);
  return context;
}

function watchErrors(page: Page) {
  page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${outDir}${name}.png`, fullPage: true, animations: 'disabled' });
}

async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Registers from the ballot's "create an account" link; the app signs in and comes back to the ballot. */
async function registerFromBallot(page: Page, electionId: string, email: string, screenshot?: string) {
  await page.goto(`/elections/${electionId}`);
  await page.getByRole('link', { name: 'create an account' }).click();
  await page.getByRole('heading', { name: 'Create an account' }).waitFor();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery staple');
  if (screenshot) await shot(page, screenshot);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL(`**/elections/${electionId}`);
  await page.getByRole('button', { name: 'Cast my vote' }).waitFor();
}

async function fillBallot(page: Page, colour: string, snacks: string[]) {
  await page.getByRole('group', { name: 'Favourite colour' }).getByLabel(colour).check();
  const snackGroup = page.getByRole('group', { name: 'Snacks for the break' });
  for (const snack of snacks) await snackGroup.getByLabel(snack).check();
}

async function castAndReadReceipt(page: Page): Promise<string> {
  await page.getByRole('button', { name: 'Cast my vote' }).click();
  await page.getByRole('heading', { name: 'Your vote was counted' }).waitFor();
  const receipt = (await page.getByTestId('receipt-id').textContent())?.trim() ?? '';
  assert.ok(receipt.length > 0, 'the receipt screen shows a receipt id');
  return receipt;
}

async function totalBallots(page: Page): Promise<number> {
  return Number((await page.getByTestId('total-ballots').textContent())?.replace(/\D/g, ''));
}

test('an admin runs an election that two voters vote in, with live results and a refused second vote', {
  timeout: 175_000,
}, async (t) => {
  await setUp(t);
  const admin = await (await newContext({ width: 1280, height: 900 })).newPage();
  let electionId = '';

  await t.test('the admin signs in and creates and opens an election in the console', async () => {
    await admin.goto('/admin');
    await admin.getByRole('link', { name: 'Sign in' }).first().click();
    await admin.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot(admin, '01-sign-in');
    await signIn(admin, adminEmail, adminPassword);
    await admin.getByRole('heading', { name: 'Admin console' }).waitFor();
    await admin.getByRole('link', { name: 'New election' }).click();

    await admin.getByLabel('Title').fill('Team offsite');
    await admin.getByLabel('Description').fill('Pick a colour and the snacks.');
    const q1 = admin.getByRole('group', { name: 'Question 1' });
    await q1.getByLabel('Question', { exact: true }).fill('Favourite colour');
    await q1.getByLabel('Question 1, option 1').fill('Red');
    await q1.getByLabel('Question 1, option 2').fill('Green');
    await q1.getByRole('button', { name: 'Add option' }).click();
    await q1.getByLabel('Question 1, option 3').fill('Blue');
    await admin.getByRole('button', { name: 'Add question' }).click();
    const q2 = admin.getByRole('group', { name: 'Question 2' });
    await q2.getByLabel('Question', { exact: true }).fill('Snacks for the break');
    await q2.getByLabel('At most').fill('2');
    await q2.getByLabel('Question 2, option 1').fill('Fruit');
    await q2.getByLabel('Question 2, option 2').fill('Crisps');
    await q2.getByRole('button', { name: 'Add option' }).click();
    await q2.getByLabel('Question 2, option 3').fill('Cake');
    await shot(admin, '02-admin-new-election');
    await admin.getByRole('button', { name: 'Create draft' }).click();

    await admin.waitForURL(/\/admin\/elections\/(?!new$)[^/]+$/);
    electionId = new URL(admin.url()).pathname.split('/').at(-1)!;
    assert.equal(await admin.getByTestId('election-status').textContent(), 'draft');
    await admin.getByRole('button', { name: 'Open voting' }).click();
    await admin.getByTestId('election-status').filter({ hasText: 'open' }).waitFor();
    await admin.getByRole('heading', { name: 'Live operations' }).waitFor();
    await shot(admin, '03-admin-election-open');
  });

  const viewer = await (await newContext({ width: 1280, height: 800 })).newPage();
  await t.test('a results page connects to the live stream', async () => {
    await viewer.goto(`/elections/${electionId}/results`);
    await viewer.getByTestId('connection').filter({ hasText: 'Live' }).waitFor();
    await viewer.getByTestId('total-ballots').filter({ hasText: /^0$/ }).waitFor();
    await shot(viewer, '04-results-empty');
  });

  // Voters use phones: 360 px wide.
  const phone = { width: 360, height: 780 };
  const voter1 = await (await newContext(phone)).newPage();
  const voter2Context = await newContext(phone);
  const voter2 = await voter2Context.newPage();
  const stamp = Date.now();
  let receipt2 = '';
  let staleTab: Page;

  await t.test(
    'voter 1 registers, votes, gets a receipt, and the results update without reload',
    async () => {
      await registerFromBallot(voter1, electionId, `voter1-${stamp}@example.test`, '05-register');
      await fillBallot(voter1, 'Green', ['Fruit', 'Cake']);
      await shot(voter1, '06-ballot');
      await castAndReadReceipt(voter1);
      await shot(voter1, '07-receipt');
      await viewer.getByTestId('total-ballots').filter({ hasText: /^1$/ }).waitFor();
    },
  );

  await t.test('voter 2 votes in another context; the results page shows both', async () => {
    await registerFromBallot(voter2, electionId, `voter2-${stamp}@example.test`);
    // A second tab with the ballot already loaded: after the first vote it still offers the form.
    staleTab = await voter2Context.newPage();
    await staleTab.goto(`/elections/${electionId}`);
    await staleTab.getByRole('button', { name: 'Cast my vote' }).waitFor();

    await fillBallot(voter2, 'Green', ['Crisps']);
    receipt2 = await castAndReadReceipt(voter2);
    await viewer.getByTestId('total-ballots').filter({ hasText: /^2$/ }).waitFor();
    const green = viewer.getByTestId('result-option').filter({ hasText: 'Green' });
    assert.equal(await green.getByTestId('option-votes').textContent(), '2');
    await shot(viewer, '08-results-live');
  });

  await t.test('a second vote by the same voter shows "already voted" with the first receipt', async () => {
    await fillBallot(staleTab, 'Red', ['Cake']);
    await staleTab.getByRole('button', { name: 'Cast my vote' }).click();
    const panel = staleTab.getByTestId('already-voted');
    await panel.waitFor();
    assert.match((await panel.textContent()) ?? '', /already voted/i);
    assert.equal((await panel.getByTestId('receipt-id').textContent())?.trim(), receipt2);
    await shot(staleTab, '09-already-voted');
    // The tally did not move, and the ballot page now opens on the counted receipt.
    assert.equal(await totalBallots(viewer), 2);
    await staleTab.reload();
    await staleTab.getByTestId('already-voted').waitFor();
    assert.equal((await staleTab.getByTestId('receipt-id').textContent())?.trim(), receipt2);
  });

  await t.test('"my vote" shows the counted ballot', async () => {
    await voter2.goto(`/elections/${electionId}/mine`);
    await voter2.getByText('Your ballot is counted.').waitFor();
    assert.equal((await voter2.getByTestId('receipt-id').textContent())?.trim(), receipt2);
    await voter2.getByText('Crisps').waitFor();
    await shot(voter2, '10-my-vote');
  });

  await t.test('presenter mode shows the results large, with a QR code of the voting link', async () => {
    await viewer.getByRole('link', { name: 'Presenter mode' }).click();
    await viewer.getByRole('img', { name: /QR code of the voting link/ }).waitFor();
    await viewer.getByTestId('total-ballots').filter({ hasText: /^2$/ }).waitFor();
    await shot(viewer, '11-presenter');
  });

  await t.test('the admin sees the ballots in the operations panel and closes the election', async () => {
    await admin.getByTestId('ops-total').filter({ hasText: /^2$/ }).waitFor();
    admin.once('dialog', (dialog) => void dialog.accept());
    await admin.getByRole('button', { name: 'Close voting' }).click();
    await admin.getByTestId('election-status').filter({ hasText: 'closed' }).waitFor();
    await admin.getByRole('button', { name: 'Download CSV' }).waitFor();
    await shot(admin, '12-admin-closed');
  });

  assert.deepEqual(pageErrors, [], 'no uncaught errors in any page');
});
