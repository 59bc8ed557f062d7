/**
 * What the browser tests share: the whole stack, Debian's Chromium (never a downloaded one),
 * contexts that record page errors and CSP violations, and screenshots to web/test-output/.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { StackOptions } from '@onevote/stack';
import { startTestStack } from '@onevote/stack/testing';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const webDir = fileURLToPath(new URL('..', import.meta.url));
const outDir = fileURLToPath(new URL('../test-output/', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Solving ALTCHA at the identity service's default cost, plus argon2id, plus a loaded 2-core CI box.
export const stepTimeout = 60_000;

/** The newest modification time under a folder: a UI older than its source is built again. */
function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

export interface BrowserStack {
  baseUrl: string;
  /** The seeded admin: the stack generates its password for each data directory. */
  admin: { email: string; password: string };
  browser: Browser;
  /** Uncaught page errors and CSP violations seen in any page so far. */
  pageErrors: string[];
  /** The same gateway as http://localhost:<port>: browsers refuse an IP address as a WebAuthn RP id. */
  localhostUrl: string;
  newContext(viewport: { width: number; height: number }, options?: { baseURL?: string }): Promise<BrowserContext>;
}

/** The stack and the browser; both stop when the test that started them ends. */
export async function startBrowserStack(t: TestContext, options: Partial<StackOptions> = {}): Promise<BrowserStack> {
  if (!existsSync(`${webDir}/dist/index.html`) || newestSource(`${webDir}/src`) > statSync(`${webDir}/dist/index.html`).mtimeMs) {
    const built = spawnSync('npm', ['run', 'build', '--workspace', 'web'], { cwd: `${webDir}/..`, stdio: 'inherit' });
    assert.equal(built.status, 0, 'the web UI must build');
  }
  mkdirSync(outDir, { recursive: true });
  // startTestStack registers its own stop with the test that calls it, so it is called here.
  const stack = await startTestStack(options);
  const browser = await chromium.launch({
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
  const pageErrors: string[] = [];
  const watchErrors = (page: Page) => {
    page.on('pageerror', (err) => pageErrors.push(`${page.url()}: ${err.message}`));
    // A Content-Security-Policy violation is reported on the console, not thrown.
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to (load|execute|apply|connect|frame)/i.test(message.text())) {
        pageErrors.push(`${page.url()}: ${message.text()}`);
      }
    });
  };
  return {
    baseUrl: stack.gatewayUrl,
    admin: stack.admin,
    browser,
    pageErrors,
    localhostUrl: stack.gatewayUrl.replace('//127.0.0.1:', '//localhost:'),
    async newContext(viewport, contextOptions = {}) {
      const context = await browser.newContext({ viewport, baseURL: contextOptions.baseURL ?? stack.gatewayUrl });
      context.setDefaultTimeout(stepTimeout);
      context.on('page', watchErrors);
      return context;
    },
  };
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: `${outDir}${name}.png`, fullPage: true, animations: 'disabled' });
}

export async function signIn(page: Page, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}
