/**
 * The account screens in real Chromium against the whole stack (issue 16): verifying an email
 * address with the code the mail catcher received, setting up an authenticator app and signing in
 * with its code, resetting a forgotten password, ending sessions, deleting an account, changing the
 * address with the code mailed to the new one.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { waitFor } from '@onevote/stack/testing';
import { generate } from 'otplib';
import type { Page } from 'playwright-core';
import { shot, signIn, startBrowserStack } from './browser.ts';

const password = 'correct horse battery staple';

test('a voter verifies their address, turns on an authenticator app, resets a forgotten password and deletes an account', {
  timeout: 240_000,
}, async (t) => {
  const stack = await startBrowserStack(t);
  /** The 6-digit code of the newest mail to `to` whose subject matches, as the catcher kept it. */
  const mailedCode = async (to: string, subject: RegExp): Promise<string> => {
    let code: string | undefined;
    await waitFor(`a mail to ${to}`, async () => {
      const res = await fetch(`${stack.baseUrl}/dev/mail?to=${encodeURIComponent(to)}`);
      const { messages } = (await res.json()) as { messages: { subject: string; text: string }[] };
      code = messages.map((m) => (subject.test(m.subject) ? /\b(\d{6})\b/.exec(m.text)?.[1] : undefined)).find(Boolean);
      return code !== undefined;
    });
    return code!;
  };
  const register = async (page: Page, email: string) => {
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('link', { name: email }).waitFor();
  };

  const page = await (await stack.newContext({ width: 1100, height: 900 })).newPage();
  const email = `account-${randomUUID().slice(0, 8)}@example.org`;
  let secret = '';
  let usedStep = 0;

  await t.test('the address is verified with the mailed code', async () => {
    await register(page, email);
    await page.getByRole('link', { name: email }).click();
    await page.getByRole('heading', { name: 'Verify your email address' }).waitFor();
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByText('Code sent').waitFor();
    await page.getByRole('button', { name: /Send another code in \d+ s/ }).waitFor();
    const code = await mailedCode(email, /verification code/);
    await page.getByLabel('Code').fill(code === '000000' ? '000001' : '000000');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByText(/That code is wrong or has expired/).waitFor();
    await page.getByLabel('Code').fill(code);
    await shot(page, 'account-01-verify-email');
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByTestId('email-verified').waitFor();
  });

  await t.test('an authenticator app is set up from the QR code page, and signing in then asks for its code', async () => {
    await page.getByRole('button', { name: 'Set up an authenticator app' }).click();
    secret = ((await page.getByTestId('totp-secret').textContent()) ?? '').trim();
    assert.match(secret, /^[A-Z2-7]+=*$/);
    await page.getByRole('img').first().waitFor();
    await shot(page, 'account-02-totp-setup');
    const now = Math.floor(Date.now() / 1000);
    usedStep = Math.floor(now / 30);
    await page.getByLabel('Code').fill(await generate({ secret, epoch: now }));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByTestId('totp-on').waitFor();

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    // Signed out for real (the logout call answered) before the page is left: a navigation would
    // abort it and keep the old session in the browser.
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto('/login');
    await signIn(page, email, password);
    const otp = page.getByLabel('Code from your authenticator app');
    await otp.waitFor();
    await shot(page, 'account-03-sign-in-code');
    usedStep += 1;
    await otp.fill(await generate({ secret, epoch: usedStep * 30 }));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // The app leaves the sign-in screen once the new session is stored.
    await page.waitForURL((url) => url.pathname !== '/login');
    await page.getByRole('link', { name: email }).waitFor();
  });

  await t.test('the sessions list marks this browser; signing out everywhere ends it', async () => {
    await page.goto('/account');
    const sessions = page.getByTestId('sessions');
    await sessions.getByText('this browser').waitFor();
    assert.match((await sessions.textContent()) ?? '', /with the app/);
    await shot(page, 'account-04-sessions');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto('/account');
    await page.getByText('to see your account').waitFor();
  });

  await t.test('a forgotten password is reset with the mailed code; the old one stops working', async () => {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send me a code' }).click();
    await page.getByLabel('Code').waitFor();
    const code = await mailedCode(email, /password reset code/);
    await page.getByLabel('Code').fill(code);
    await page.getByLabel('New password').fill(`${password} again`);
    await shot(page, 'account-05-reset');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByTestId('password-changed').waitFor();

    await page.goto('/login');
    await signIn(page, email, password);
    await page.getByText('Email or password is wrong.').waitFor();
    await page.getByLabel('Password').fill(`${password} again`);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByLabel('Code from your authenticator app').waitFor();
  });

  await t.test('an account is deleted after its password is given again; its address can register anew', async () => {
    const other = await (await stack.newContext({ width: 900, height: 900 })).newPage();
    other.on('dialog', (dialog) => void dialog.accept());
    const otherEmail = `delete-${randomUUID().slice(0, 8)}@example.org`;
    await register(other, otherEmail);
    await other.goto('/account');
    // exact: the change-email form has a "Current password" too.
    await other.getByLabel('Password', { exact: true }).fill('not the password');
    await other.getByRole('button', { name: 'Delete my account' }).click();
    await other.getByText('Email or password is wrong.').waitFor();
    await other.getByLabel('Password', { exact: true }).fill(password);
    await shot(other, 'account-06-delete');
    await other.getByRole('button', { name: 'Delete my account' }).click();
    await other.getByRole('link', { name: 'Sign in' }).waitFor();
    await other.goto('/login');
    await signIn(other, otherEmail, password);
    await other.getByText('Email or password is wrong.').waitFor();
    await register(other, otherEmail);
  });

  await t.test('the address is changed with the code mailed to the new one; the old one is told and no longer signs in', async () => {
    const voter = await (await stack.newContext({ width: 1000, height: 1200 })).newPage();
    const oldEmail = `before-${randomUUID().slice(0, 8)}@example.org`;
    const newEmail = `after-${randomUUID().slice(0, 8)}@example.org`;
    await register(voter, oldEmail);
    await voter.goto('/account');
    const panel = voter.getByTestId('change-email');
    await panel.getByLabel('New email address').fill(newEmail.toUpperCase());
    await panel.getByLabel('Current password').fill('not the password');
    await panel.getByRole('button', { name: 'Send a code to the new address' }).click();
    await panel.getByText('That password is wrong.').waitFor();
    await panel.getByLabel('Current password').fill(password);
    await panel.getByRole('button', { name: 'Send a code to the new address' }).click();
    assert.equal(await panel.getByTestId('email-change-pending').textContent(), newEmail);
    await panel.getByRole('button', { name: /Send another code in \d+ s/ }).waitFor();

    const code = await mailedCode(newEmail, /confirm your new address/);
    await panel.getByLabel('Code sent to the new address').fill(code === '000000' ? '000001' : '000000');
    await panel.getByRole('button', { name: 'Confirm' }).click();
    await panel.getByText(/That code is wrong or has expired/).waitFor();
    await panel.getByLabel('Code sent to the new address').fill(code);
    await shot(voter, 'account-07-change-email');
    await panel.getByRole('button', { name: 'Confirm' }).click();
    await panel.getByTestId('email-changed').getByText(newEmail).waitFor();
    // The whole page follows: the address card (verified now), the header.
    await voter.getByTestId('email-verified').waitFor();
    await voter.getByRole('link', { name: newEmail }).waitFor();
    await shot(voter, 'account-08-email-changed');

    let notices = 0;
    await waitFor(`the notice to ${oldEmail}`, async () => {
      const res = await fetch(`${stack.baseUrl}/dev/mail?to=${encodeURIComponent(oldEmail)}`);
      const { messages } = (await res.json()) as { messages: { subject: string; text: string }[] };
      const notice = messages.filter((m) => /address of your OneVote account was changed/.test(m.subject));
      notices = notice.length;
      assert.ok(notice.every((m) => !/\b\d{6}\b/.test(m.text)), 'the notice carries no code');
      return notices > 0;
    });
    assert.equal(notices, 1);

    await voter.getByRole('button', { name: 'Sign out', exact: true }).click();
    await voter.getByRole('link', { name: 'Sign in' }).waitFor();
    await voter.goto('/login');
    await signIn(voter, oldEmail, password);
    await voter.getByText('Email or password is wrong.').waitFor();
    await signIn(voter, newEmail, password);
    await voter.getByRole('link', { name: newEmail }).waitFor();
  });

  assert.deepEqual(stack.pageErrors, [], 'no uncaught errors and no CSP violations in any page');
});
