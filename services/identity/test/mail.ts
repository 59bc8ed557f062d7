/**
 * The mail the identity tests' servers sent, as the run's own mail catcher kept it (never a user's
 * SMTP server under npm test): one `.eml` file per message in its directory.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { testInfra, waitFor } from '@onevote/stack/testing';
import PostalMime from 'postal-mime';

const infra = await testInfra();
assert.ok(infra.mailDir, 'the test infrastructure has a mail catcher');
const mailDir: string = infra.mailDir;

export const smtpUrl = infra.smtpUrl;

export interface CaughtMail {
  subject: string;
  /** The plain-text body, decoded. */
  text: string;
}

/** The messages to an address so far, oldest first. */
export async function mailTo(email: string): Promise<CaughtMail[]> {
  const to = new RegExp(`^To: .*${email.replace(/[.+]/g, '\\$&')}`, 'im');
  const found: CaughtMail[] = [];
  for (const name of readdirSync(mailDir).filter((n) => n.endsWith('.eml')).sort()) {
    const raw = readFileSync(join(mailDir, name));
    if (!to.test(raw.toString('utf8'))) continue;
    const parsed = await PostalMime.parse(raw);
    found.push({ subject: parsed.subject ?? '', text: parsed.text ?? '' });
  }
  return found;
}

/** The codes mailed to an address so far whose subject is `<code> <subject>`, oldest first. */
export async function codesMailedTo(email: string, subject = 'is your OneVote verification code'): Promise<string[]> {
  const pattern = new RegExp(`^(\\d{6}) ${subject}`);
  return (await mailTo(email)).map((m) => pattern.exec(m.subject)?.[1]).filter((c): c is string => c !== undefined);
}

/** The `count`-th such code, once it has arrived. */
export async function nextCode(email: string, count: number, subject?: string): Promise<string> {
  let codes: string[] = [];
  await waitFor(`code ${count} mailed to ${email}`, async () => (codes = await codesMailedTo(email, subject)).length >= count);
  return codes[count - 1]!;
}
