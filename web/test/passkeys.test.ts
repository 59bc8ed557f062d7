/**
 * Passkeys in real Chromium against the whole stack (issue 16), with Chromium's virtual authenticator
 * (DevTools protocol `WebAuthn` domain: CTAP2, internal, resident keys, user verification): a voter
 * adds a passkey on the account page, signs out, signs in with it and no password, then removes it,
 * after which it no longer signs in.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { shot, startBrowserStack } from './browser.ts';

const password = 'correct horse battery staple';

test('a voter adds a passkey on the account page, signs in with it after signing out, and removes it', { timeout: 240_000 }, async (t) => {
  const stack = await startBrowserStack(t);
  // The stack's RP id is localhost (WEBAUTHN_RP_ID), so the pages are opened at http://localhost:<port>.
  const context = await stack.newContext({ width: 1100, height: 900 }, { baseURL: stack.localhostUrl });
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const email = `passkey-${randomUUID().slice(0, 8)}@example.org`;
  let countAfterRegistration = 0;

  await t.test('a passkey is added from the account page: the authenticator holds a discoverable credential, the page lists it', async () => {
    await page.goto('/register');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('link', { name: email }).click();
    await page.getByRole('heading', { name: 'Passkeys' }).waitFor();
    await page.getByTestId('passkeys-none').waitFor();
    await page.getByLabel('Passkey name').fill('Test laptop');
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await page.getByTestId('passkeys').getByText('Test laptop').waitFor();
    assert.match((await page.getByTestId('passkeys').textContent()) ?? '', /not used yet/);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0]!.isResidentCredential, true, 'discoverable, so signing in needs no email');
    assert.equal(credentials[0]!.rpId, 'localhost');
    countAfterRegistration = credentials[0]!.signCount;
    await shot(page, 'passkeys-01-added');
  });

  await t.test('after signing out, "Sign in with a passkey" signs in with no email or password', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    // Signed out for real before the page is left (a navigation would abort the logout call).
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto('/login');
    await shot(page, 'passkeys-02-sign-in');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('link', { name: email }).waitFor();
    // The sign-in screen goes on to the home page; the next navigation must not race that one.
    await page.waitForURL(`${stack.localhostUrl}/`);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials[0]!.signCount, countAfterRegistration + 1, 'the authenticator signed one assertion');
    await page.goto('/account');
    await page.getByTestId('sessions').getByText('this browser').waitFor();
    assert.match((await page.getByTestId('sessions').textContent()) ?? '', /with a passkey/);
    await page.getByTestId('passkeys').getByText(/last used/).waitFor();
    await shot(page, 'passkeys-03-signed-in');
  });

  await t.test('a removed passkey no longer signs in, though the authenticator still holds it', async () => {
    await page.getByRole('button', { name: 'Remove Test laptop' }).click();
    await page.getByTestId('passkeys-none').waitFor();
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    // Signed out for real before the page is left (a navigation would abort the logout call).
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await page.goto('/login');
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText('That passkey was not accepted').waitFor();
    await shot(page, 'passkeys-04-removed');
    assert.equal((await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials.length, 1);
  });

  await t.test('at http://127.0.0.1 Chromium refuses an IP address as RP id (why the stack uses localhost)', async () => {
    const ipPage = await (await stack.newContext({ width: 800, height: 600 })).newPage();
    const ipCdp = await ipPage.context().newCDPSession(ipPage);
    await ipCdp.send('WebAuthn.enable', { enableUI: false });
    await ipCdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
    });
    await ipPage.goto('/');
    const outcome = await ipPage.evaluate(async () => {
      try {
        await navigator.credentials.create({
          publicKey: {
            challenge: new Uint8Array(16),
            rp: { id: '127.0.0.1', name: 'OneVote' },
            user: { id: new Uint8Array(16), name: 'a', displayName: 'a' },
            pubKeyCredParams: [{ type: 'public-key', alg: -7 }],
          },
        });
        return 'created';
      } catch (err) {
        return (err as Error).name;
      }
    });
    assert.notEqual(outcome, 'created');
    assert.equal(outcome, 'SecurityError');
  });

  assert.deepEqual(stack.pageErrors, [], 'no uncaught errors and no CSP violations in any page');
});
