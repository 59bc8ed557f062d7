import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { problemContentType } from '@onevote/contracts';
import { type App, type BootedService, bootService, createMailSender, type MailSender, newMailId } from '@onevote/platform';
import { freePort, MailCatcher } from '@onevote/stack';
import { testDir, uniqueName } from '@onevote/stack/testing';
import nodemailer from 'nodemailer';
import { mailListLimit } from '../src/http/dev-mail.ts';
import { gatewayService } from '../src/service.ts';

interface Listed {
  id: string;
  from: string;
  to: string[];
  subject: string;
  date: string;
  text: string;
}

const from = 'OneVote <no-reply@onevote.test>';
const aRecipient = (name = 'voter') => `${uniqueName(name)}@example.test`;

function aGateway(env: Record<string, string>): Promise<BootedService<unknown, { app: App }>> {
  return bootService(gatewayService, {
    env: { PORT: '0', LOG_LEVEL: 'silent', SHUTDOWN_TIMEOUT_MS: '1000', ...env },
  });
}

/** A GET with the path sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function listing(base: string, query = ''): Promise<Listed[]> {
  const res = await fetch(`${base}/dev/mail${query}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  return ((await res.json()) as { messages: Listed[] }).messages;
}

describe('GET /dev/mail on the gateway (development)', () => {
  let root: string;
  let mailDir: string;
  let catcher: MailCatcher;
  let sender: MailSender;
  let gateway: Awaited<ReturnType<typeof aGateway>>;
  let base: string;

  before(async () => {
    root = testDir('dev-mail');
    mailDir = join(root, 'mail');
    catcher = new MailCatcher(mailDir, await freePort(), join(root, 'mail-catcher.log'));
    await catcher.start();
    sender = createMailSender(catcher.url, from);
    gateway = await aGateway({ NODE_ENV: 'development', MAIL_DIR: mailDir });
    base = gateway.url;
  });
  after(async () => {
    sender.close();
    await gateway.close();
    await catcher.stop();
  });

  test('lists a message sent through the catcher with its sender, recipient, subject, date and body', async () => {
    const to = aRecipient();
    const sentAt = Date.now();
    await sender.send({ to, subject: 'Your OneVote code', text: 'Your code is 481516.' });
    const [mail] = await listing(base, `?to=${encodeURIComponent(to)}`);
    assert.ok(mail);
    assert.deepEqual(
      { from: mail.from, to: mail.to, subject: mail.subject, text: mail.text.trim() },
      { from: 'no-reply@onevote.test', to: [to], subject: 'Your OneVote code', text: 'Your code is 481516.' },
    );
    assert.match(mail.date, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    // The Date header has whole seconds.
    assert.ok(Math.abs(Date.parse(mail.date) - sentAt) < 5000, mail.date);
    assert.ok(readdirSync(mailDir).includes(`${mail.id}.eml`));
  });

  test('?to= matches the address exactly after trim and lower case, and nothing else', async () => {
    const alice = aRecipient('alice');
    const bob = aRecipient('bob');
    await sender.send({ to: alice, subject: 'for alice', text: 'a' });
    await sender.send({ to: bob, subject: 'for bob', text: 'b' });
    const forAlice = await listing(base, `?to=${encodeURIComponent(`  ${alice.toUpperCase()} `)}`);
    assert.deepEqual(forAlice.map((m) => m.subject), ['for alice']);
    assert.deepEqual(await listing(base, `?to=${encodeURIComponent(alice.slice(1))}`), [], 'no partial match');
    const all = await listing(base);
    assert.ok(all.some((m) => m.subject === 'for bob') && all.some((m) => m.subject === 'for alice'));
  });

  test('text is decoded from quoted-printable and base64, and taken from the text part of multipart/alternative', async () => {
    const to = aRecipient();
    const accented = 'Grüße! Votre code est 481516 — valable 15 minutes.';
    const cyrillic = 'Ваш код: 481516. Он действует 15 минут.';
    await sender.send({ to, subject: 'Grüße', text: accented });
    await sender.send({ to, subject: 'Код', text: cyrillic });
    // As a service would send text and HTML alternatives with nodemailer.
    const transport = nodemailer.createTransport(catcher.url);
    await transport.sendMail({ from, to, subject: 'both', text: 'The plain code is 271828.', html: '<p>The <b>HTML</b> code</p>' });
    transport.close();

    const byId = new Map((await listing(base, `?to=${encodeURIComponent(to)}`)).map((m) => [m.subject, m]));
    const raw = (subject: string) => readFileSync(join(mailDir, `${byId.get(subject)!.id}.eml`), 'utf8');
    assert.match(raw('Grüße'), /Content-Transfer-Encoding: quoted-printable/i);
    assert.equal(byId.get('Grüße')?.text.trim(), accented);
    assert.match(raw('Код'), /Content-Transfer-Encoding: base64/i);
    assert.equal(byId.get('Код')?.text.trim(), cyrillic);
    assert.match(raw('both'), /Content-Type: multipart\/alternative/i);
    assert.equal(byId.get('both')?.text.trim(), 'The plain code is 271828.');
  });

  test(`newest first, at most the ${mailListLimit} newest`, async () => {
    const to = aRecipient();
    for (let n = 0; n <= mailListLimit; n++) await sender.send({ to, subject: `message ${n}`, text: String(n) });
    // Sent one after the other, often several within one millisecond: listed in the order they came.
    const newestFirst = Array.from({ length: mailListLimit }, (_, i) => `message ${mailListLimit - i}`);
    const listed = await listing(base, `?to=${encodeURIComponent(to)}`);
    assert.deepEqual(listed.map((m) => m.subject), newestFirst);
    const unfiltered = await listing(base);
    assert.deepEqual(unfiltered.map((m) => m.subject), newestFirst);
  });

  test('GET /dev/mail/:id answers the message as it arrived (message/rfc822, not stored by caches)', async () => {
    const to = aRecipient();
    await sender.send({ to, subject: 'raw', text: 'the raw message' });
    const [mail] = await listing(base, `?to=${encodeURIComponent(to)}`);
    const res = await fetch(`${base}/dev/mail/${mail!.id}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'message/rfc822');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(Buffer.from(await res.arrayBuffer()).toString('utf8'), readFileSync(join(mailDir, `${mail!.id}.eml`), 'utf8'));
  });

  test('a bad id is refused (400), an unknown one is 404, and nothing outside the directory is ever read', async () => {
    const secret = 'SECRET-OUTSIDE-THE-MAIL-DIRECTORY';
    writeFileSync(join(root, 'outside.eml'), secret);
    writeFileSync(join(root, 'passwd'), secret);
    // A link inside the directory with a valid name, pointing outside it.
    const linked = newMailId();
    symlinkSync(join(root, 'outside.eml'), join(mailDir, `${linked}.eml`));

    for (const path of ['/dev/mail/..%2Foutside', '/dev/mail/..%2F..%2Fpasswd', '/dev/mail/%2e%2e', '/dev/mail/not-an-id', '/dev/mail/outside']) {
      const res = await rawGet(Number(new URL(gateway.url).port), path);
      assert.equal(res.status, 400, path);
      assert.ok(res.type.startsWith(problemContentType), path);
      assert.ok(!res.body.includes(secret), path);
    }
    for (const path of ['/dev/mail/../outside.eml', '/dev/mail/../../passwd', `/dev/mail/${newMailId()}`, `/dev/mail/${linked}`]) {
      const res = await rawGet(Number(new URL(gateway.url).port), path);
      assert.equal(res.status, 404, path);
      assert.ok(res.type.startsWith(problemContentType), path);
      assert.ok(!res.body.includes(secret), path);
    }
    const listed = await listing(base);
    assert.ok(!listed.some((m) => m.id === linked), 'a link is not listed either');
  });

  test('an unknown query parameter or an empty ?to= is a 400', async () => {
    for (const query of ['?from=x', '?to=']) {
      const res = await fetch(`${base}/dev/mail${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(res.headers.get('content-type')?.startsWith(problemContentType));
    }
  });
});

describe('GET /dev/mail is not there', () => {
  let root: string;
  let webDist: string;

  before(() => {
    root = testDir('dev-mail-off');
    mkdirSync(join(root, 'mail'));
    writeFileSync(join(root, 'mail', `${newMailId()}.eml`), 'To: a@example.test\r\nSubject: hidden\r\n\r\nhidden');
    // With the web UI served, its catch-all answers every other unknown path with index.html.
    webDist = join(root, 'web');
    mkdirSync(webDist);
    writeFileSync(join(webDist, 'index.html'), '<!doctype html><title>OneVote</title>');
  });

  for (const [when, env] of [
    ['under NODE_ENV=production, even with MAIL_DIR', { NODE_ENV: 'production' }],
    ['without MAIL_DIR', { NODE_ENV: 'development', MAIL_DIR: '' }],
  ] as const) {
    test(`${when}: a 404 problem like any unknown route`, async () => {
      const gateway = await aGateway({ MAIL_DIR: join(root, 'mail'), WEB_DIST: webDist, ...env });
      try {
        const page = await fetch(`${gateway.url}/some/page`);
        assert.equal(page.status, 200, 'the web UI answers other paths');
        await page.body?.cancel();
        for (const path of ['/dev/mail', '/dev/mail?to=a@example.test']) {
          const res = await fetch(`${gateway.url}${path}`);
          assert.equal(res.status, 404, path);
          assert.ok(res.headers.get('content-type')?.startsWith(problemContentType));
          assert.equal(((await res.json()) as { code: string }).code, 'not_found');
        }
        const id = readdirSync(join(root, 'mail'))[0]!.slice(0, -'.eml'.length);
        const raw = await fetch(`${gateway.url}/dev/mail/${id}`);
        assert.equal(raw.status, 404);
        assert.ok(!(await raw.text()).includes('hidden'));
      } finally {
        await gateway.close();
      }
    });
  }
});
