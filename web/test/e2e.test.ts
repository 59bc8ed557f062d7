/**
 * End to end in real headless Chromium (Debian's, never a downloaded one) against the whole stack:
 * the admin creates and opens an election in the console, two voters register and vote in their
 * own browser contexts, a results page updates live without reload, and a second vote by the same
 * voter is answered "already voted" with the first receipt. Receipts are checked in the public audit
 * log by the browser itself (receipt screen, "my vote", the audit page), and a forged receipt link
 * never says "counted" or "verified". A screenshot of each screen goes to web/test-output/.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { waitFor } from '@onevote/stack/testing';
import type { Browser, Page } from 'playwright-core';
import { type BrowserStack, shot, signIn, startBrowserStack } from './browser.ts';

let baseUrl: string;
let browser: Browser;
let pageErrors: string[] = [];
let adminEmail: string;
let adminPassword: string;
let newContext: BrowserStack['newContext'];

async function setUp(t: TestContext) {
  const started = await startBrowserStack(t);
  ({ baseUrl, browser, pageErrors, newContext } = started);
  ({ email: adminEmail, password: adminPassword } = started.admin);
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

/** The receipt's in-browser check on a page; resolves with its text once it is in `state`. */
async function logCheck(page: Page, state: 'verified' | 'not_in_log' | 'checking'): Promise<string> {
  const check = page.locator(`[data-testid="log-check"][data-state="${state}"]`);
  await check.waitFor();
  return (await check.textContent()) ?? '';
}

/**
 * Records, from now on, every text of the page's main region that matches `pattern` (a
 * MutationObserver sees each render, however briefly it lasted). Returns a reader of the record.
 */
async function recordWords(page: Page, pattern: RegExp): Promise<() => Promise<string[]>> {
  // A string, not a function: tsx would wrap a named arrow function in a helper the page lacks.
  await page.evaluate(`(() => {
    const re = new RegExp(${JSON.stringify(pattern.source)}, 'i');
    const seen = (window.seenWords = []);
    const look = () => {
      const text = document.querySelector('main')?.textContent ?? '';
      if (re.test(text)) seen.push(text);
    };
    look();
    new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
  return () => page.evaluate('window.seenWords') as Promise<string[]>;
}

async function totalBallots(page: Page): Promise<number> {
  return Number((await page.getByTestId('total-ballots').textContent())?.replace(/\D/g, ''));
}

test('an admin runs an election that two voters vote in, with live results, receipts checked in the public log and a refused second vote', {
  timeout: 280_000,
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
      // The browser checked the signed head and the inclusion proof (the log lags by a second or two).
      assert.match(await logCheck(voter1, 'verified'), /^Verified in the public log — leaf \d+ of \d+, head signed .+\./);
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
    assert.match(await logCheck(voter2, 'verified'), /^Verified in the public log — leaf \d+ of \d+/);
    await shot(voter2, '10-my-vote');
  });

  // Signed out, on a phone: the audit page is public.
  const auditor = await (await newContext(phone)).newPage();
  const madeUp = await (await newContext(phone)).newPage();
  let madeUpWords: () => Promise<string[]>;
  await t.test('an election for verified emails only: the admin chooses it in the form, an unverified voter is told to verify', async () => {
    const console2 = await admin.context().newPage();
    await console2.goto('/admin/elections/new');
    await console2.getByLabel('Title').fill('Members only');
    const q = console2.getByRole('group', { name: 'Question 1' });
    await q.getByLabel('Question', { exact: true }).fill('Treasurer');
    await q.getByLabel('Question 1, option 1').fill('Ann');
    await q.getByLabel('Question 1, option 2').fill('Bob');
    await console2.getByLabel('Who can vote').selectOption('verified_email');
    await console2.getByRole('button', { name: 'Create draft' }).click();
    await console2.waitForURL(/\/admin\/elections\/(?!new$)[^/]+$/);
    const membersOnly = new URL(console2.url()).pathname.split('/').at(-1)!;
    assert.equal(await console2.getByTestId('election-eligibility').textContent(), 'voters with a verified email address');
    await console2.getByRole('button', { name: 'Open voting' }).click();
    await console2.getByTestId('election-status').filter({ hasText: 'open' }).waitFor();
    await console2.close();

    // Voter 1 registered but never verified the address: the token has no email_verified.
    await voter1.goto(`/elections/${membersOnly}`);
    await voter1.getByRole('group', { name: 'Treasurer' }).getByLabel('Ann').check();
    await voter1.getByRole('button', { name: 'Cast my vote' }).click();
    const notice = voter1.getByTestId('email-not-verified');
    await notice.waitFor();
    assert.match((await notice.textContent()) ?? '', /Verify your email address to vote in this election/);
    await shot(voter1, '09b-email-not-verified');

    // The ballot page offers to verify right there: the code arrives by mail (the stack's catcher),
    // the new token carries email_verified, and the same ballot is counted.
    await voter1.getByRole('button', { name: 'Send me a code' }).click();
    const mailbox = `${baseUrl}/dev/mail?to=${encodeURIComponent(`voter1-${stamp}@example.test`)}`;
    let code = '';
    await waitFor('the verification mail', async () => {
      const { messages } = (await (await fetch(mailbox)).json()) as { messages: { text: string }[] };
      code = /\b(\d{6})\b/.exec(messages[0]?.text ?? '')?.[1] ?? '';
      return code !== '';
    });
    await voter1.getByLabel('Code').fill(code);
    await voter1.getByRole('button', { name: 'Verify' }).click();
    await voter1.getByTestId('verify-email').waitFor({ state: 'detached' });
    await voter1.getByRole('button', { name: 'Cast my vote' }).click();
    await voter1.getByRole('heading', { name: 'Your vote was counted' }).waitFor();
  });

  await t.test('the public audit page shows the signed head and checks a receipt in the browser', async () => {
    await auditor.goto(`/elections/${electionId}/results`);
    await auditor.getByRole('link', { name: 'Public audit log' }).click();
    await auditor.getByRole('heading', { name: 'Public audit log: Team offsite' }).waitFor();
    const head = auditor.getByTestId('signed-head');
    await head.getByTestId('head-signature').filter({ hasText: 'Valid' }).waitFor();
    // Two lifecycle events (created, opened) and both ballots.
    assert.ok(Number(await head.getByTestId('head-size').textContent()) >= 4);
    assert.equal(await head.getByTestId('head-final').textContent(), 'Still growing');
    assert.match((await head.getByTestId('head-root').textContent()) ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.equal(
      await auditor.getByTestId('verifier-command').textContent(),
      `npm run verify -- --url ${baseUrl} --election ${electionId}`,
    );

    // Not a receipt id: refused on the field, before any request.
    await auditor.getByLabel('Receipt id').fill('not a receipt');
    await auditor.getByRole('button', { name: 'Check', exact: true }).click();
    await auditor.getByText('That is not a receipt id.').waitFor();
    assert.equal(await auditor.getByLabel('Receipt id').getAttribute('aria-invalid'), 'true');
    assert.equal(await auditor.getByTestId('log-check').getAttribute('data-state'), 'idle');

    // The recorder used below for "never verified" does see a verified state when there is one.
    const seen = await recordWords(auditor, /verified/);
    await auditor.getByLabel('Receipt id').fill(receipt2);
    await auditor.getByRole('button', { name: 'Check', exact: true }).click();
    assert.match(await logCheck(auditor, 'verified'), /^Verified in the public log — leaf \d+ of \d+/);
    assert.ok((await seen()).length > 0);
    assert.equal(await auditor.getByLabel('Receipt id').getAttribute('aria-invalid'), 'false');
    await shot(auditor, '13-audit');

    // A well-formed receipt id that nobody has: looked for again for ~20 s, while the next steps run.
    await madeUp.goto(`/elections/${electionId}/audit`);
    await madeUp.getByTestId('head-signature').filter({ hasText: 'Valid' }).waitFor();
    madeUpWords = await recordWords(madeUp, /verified/);
    await madeUp.getByLabel('Receipt id').fill(randomUUID());
    await madeUp.getByRole('button', { name: 'Check', exact: true }).click();
    await logCheck(madeUp, 'checking');
  });

  await t.test('a receipt link of someone else\'s receipt is not confirmed to a signed-in voter', async () => {
    await voter1.goto(`/elections/${electionId}/receipt?r=${receipt2}`);
    await voter1.getByRole('heading', { name: 'Receipt not confirmed' }).waitFor();
    await voter1.getByText('This is not the receipt of your vote in this election.').waitFor();
    assert.doesNotMatch((await voter1.locator('main').textContent()) ?? '', /counted/i);
  });

  await t.test('after 10 wrong passwords from this network the right one still signs in: the app follows the harder challenge asked for', async () => {
    const page = await (await newContext(phone)).newPage();
    const logins: number[] = [];
    const challenges: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/v1/auth/challenge')) challenges.push(new URL(r.url()).search);
    });
    page.on('response', (r) => {
      if (r.url().endsWith('/v1/auth/login')) logins.push(r.status());
    });
    await page.goto('/login');
    for (let i = 0; i < 10; i++) {
      const answered = page.waitForResponse((r) => r.url().endsWith('/v1/auth/login'));
      await signIn(page, `voter1-${stamp}@example.test`, `not the password ${i}`);
      await answered;
      await page.getByRole('button', { name: 'Sign in', exact: true }).and(page.locator(':enabled')).waitFor();
    }
    await page.getByText('Email or password is wrong.').waitFor();
    await signIn(page, `voter1-${stamp}@example.test`, 'correct horse battery staple');
    await page.waitForURL((url) => !url.pathname.startsWith('/login'));
    // The account is not locked; from this network it needs a level-1 challenge, which the app fetched.
    assert.deepEqual(logins, [...Array(10).fill(401), 403, 200]);
    assert.ok(challenges.includes('?purpose=login&level=1'), JSON.stringify(challenges));
    assert.ok(challenges.every((q) => q.startsWith('?purpose=login')), JSON.stringify(challenges));
  });

  await t.test('presenter mode shows the results large, with a QR code of the voting link', async () => {
    await viewer.getByRole('link', { name: 'Presenter mode' }).click();
    await viewer.getByRole('img', { name: /QR code of the voting link/ }).waitFor();
    await viewer.getByTestId('total-ballots').filter({ hasText: /^2$/ }).waitFor();
    await shot(viewer, '11-presenter');
  });

  await t.test('the made-up receipt id is "not in the public log yet", and was never said to be verified', async () => {
    assert.match(await logCheck(madeUp, 'not_in_log'), /^Not in the public log yet — check again later\.$/);
    assert.deepEqual(await madeUpWords(), []);
    await madeUp.getByRole('button', { name: 'Check again' }).waitFor();
    await shot(madeUp, '14-audit-not-in-log');
  });

  await t.test('the admin sees the ballots in the operations panel and closes the election', async () => {
    await admin.getByTestId('ops-counted').filter({ hasText: /^2$/ }).waitFor();
    admin.once('dialog', (dialog) => void dialog.accept());
    await admin.getByRole('button', { name: 'Close voting' }).click();
    await admin.getByTestId('election-status').filter({ hasText: 'closed' }).waitFor();
    await admin.getByRole('button', { name: 'Download CSV' }).waitFor();
    await shot(admin, '12-admin-closed');
  });

  await t.test('a forged receipt link opened signed out never says "counted" or "verified"', async () => {
    const page = await (await newContext(phone)).newPage();
    await page.goto(`/elections/${electionId}/receipt?r=${randomUUID()}`);
    await page.getByRole('heading', { name: 'Receipt not confirmed' }).waitFor();
    const words = await recordWords(page, /counted|verified/);
    await page.getByTestId('receipt-unconfirmed').waitFor();
    await page.getByRole('button', { name: 'Check the public log' }).click();
    // Closed: once the final head is signed, the answer is at once and for good.
    assert.match(await logCheck(page, 'not_in_log'), /^Not in the public log/);
    await shot(page, '15-receipt-forged');
    assert.deepEqual(await words(), []);
  });

  await t.test('after the close the audit page shows the final head', async () => {
    await auditor.getByTestId('head-final').filter({ hasText: 'Final' }).waitFor();
    assert.equal(await auditor.getByTestId('head-signature').textContent(), 'Valid');
    // created, opened, two ballots, closed.
    assert.ok(Number(await auditor.getByTestId('head-size').textContent()) >= 5);
    await shot(auditor, '16-audit-final');
  });

  await t.test('the console cannot be framed by another site (CSP frame-ancestors and X-Frame-Options)', async () => {
    const res = await admin.request.get(`${baseUrl}/admin`);
    assert.match(res.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
    assert.equal(res.headers()['x-frame-options'], 'DENY');
    // A page of another origin that frames the console: Chromium refuses to render it.
    // Not through newContext(): this page's CSP report is the expected outcome, not an error.
    const evil = await browser.newContext({ viewport: { width: 800, height: 600 } });
    const page = await evil.newPage();
    const blocked = new Promise<string>((resolve) =>
      page.on('console', (m) => /frame-ancestors|X-Frame-Options|Refused to display/i.test(m.text()) && resolve(m.text())),
    );
    await page.setContent(`<iframe src="${baseUrl}/admin" width="600" height="400"></iframe>`);
    assert.match(await blocked, /frame-ancestors|X-Frame-Options|Refused to display/i);
    await evil.close();
  });

  assert.deepEqual(pageErrors, [], 'no uncaught errors and no CSP violations in any page');
});
