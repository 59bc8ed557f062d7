import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createMailSender, mailIdPattern, type MailSender } from '@onevote/platform';
import { startTestStack, testDir, uniqueName } from '@onevote/stack/testing';
import { banner } from '../src/banner.ts';
import { variables } from '../src/config-reference.ts';
import { type Infra, startInfra } from '../src/infra.ts';
import { MailCatcher } from '../src/mail.ts';
import { maxMessageBytes } from '../src/mail-catcher.ts';
import { freePort } from '../src/ports.ts';
import { repoRoot, type ServiceName, serviceDefs, serviceEnv, type StackContext } from '../src/services.ts';
import type { RunningService } from '../src/stack.ts';
import { tcpAnswers } from '../src/tcp.ts';

const from = 'OneVote <no-reply@onevote.test>';
const aRecipient = () => `${uniqueName('voter')}@example.test`;

/** Resolves with the error code of a TCP connection to `host:port` (undefined: it connected). */
function connectError(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 2000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code));
  });
}

describe('the mail catcher (a process of its own)', () => {
  let catcher: MailCatcher;
  let mailDir: string;
  let sender: MailSender;

  before(async () => {
    const dir = testDir('mail');
    mailDir = join(dir, 'mail');
    catcher = new MailCatcher(mailDir, await freePort(), join(dir, 'mail-catcher.log'));
    await catcher.start();
    sender = createMailSender(catcher.url, from);
  });
  after(async () => {
    sender.close();
    await catcher.stop();
  });

  test('a message sent with the platform MailSender is kept as one whole .eml with its subject and body', async () => {
    const to = aRecipient();
    await sender.send({ to, subject: 'Your OneVote code', text: 'Your code is 481516. It is valid for 15 minutes.' });
    // The catcher answers 250 only once the file is in place: nothing to wait for.
    const files = readdirSync(mailDir);
    assert.equal(files.length, 1, `one file, no temporary one left: ${files.join(', ')}`);
    assert.match(files[0]!, /\.eml$/);
    assert.match(files[0]!.slice(0, -'.eml'.length), mailIdPattern);
    const eml = readFileSync(join(mailDir, files[0]!), 'utf8');
    assert.match(eml, new RegExp(`^To: ${to}\r?$`, 'm'));
    assert.match(eml, /^Subject: Your OneVote code\r?$/m);
    assert.match(eml, /^From: OneVote <no-reply@onevote\.test>\r?$/m);
    assert.ok(eml.includes('Your code is 481516. It is valid for 15 minutes.'), eml);
  });

  test('a message over the size limit is refused with 552 and nothing is written', async () => {
    const before = readdirSync(mailDir).sort();
    await assert.rejects(
      sender.send({ to: aRecipient(), subject: 'Too large', text: 'x'.repeat(maxMessageBytes + 1024) }),
      (err: { responseCode?: number }) => err.responseCode === 552,
    );
    assert.deepEqual(readdirSync(mailDir).sort(), before);
    // The catcher is still there for the next message.
    await sender.send({ to: aRecipient(), subject: 'After the refusal', text: 'still catching' });
    assert.equal(readdirSync(mailDir).length, before.length + 1);
  });

  test('every message gets an arrival time of its own, also many at once (so ids sort by arrival)', async () => {
    const before = new Set(readdirSync(mailDir));
    const to = aRecipient();
    // Five pooled connections at once: several messages end within the same millisecond.
    await Promise.all(Array.from({ length: 60 }, (_, n) => sender.send({ to, subject: `at once ${n}`, text: String(n) })));
    const ids = readdirSync(mailDir)
      .filter((f) => !before.has(f))
      .map((f) => f.slice(0, -'.eml'.length));
    assert.equal(ids.length, 60);
    assert.equal(new Set(ids.map((id) => id.split('-')[0])).size, 60, 'no two share an arrival time');
  });

  test('a client that resets its connection mid-session does not stop it', async () => {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: catcher.port });
      socket.once('error', reject);
      socket.once('data', () => {
        socket.write('EHLO client.test\r\nMAIL FROM:<a@example.test>\r\n');
        socket.once('data', () => {
          socket.resetAndDestroy();
          resolve();
        });
      });
    });
    await sender.send({ to: aRecipient(), subject: 'After a reset', text: 'still catching' });
    assert.ok(catcher.pid, 'the catcher still runs');
  });

  test('it listens on the loopback address only', async (t) => {
    assert.equal(await connectError('127.0.0.1', catcher.port), undefined);
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((i) => i && !i.internal && i.family === 'IPv4');
    if (!outside) {
      t.skip('this machine has no address but loopback');
      return;
    }
    assert.equal(await connectError(outside.address, catcher.port), 'ECONNREFUSED', `from ${outside.address}`);
  });
});

describe('startInfra and the mail catcher', () => {
  // Every other server given by URL, so only the catcher starts (nothing listens on these).
  const others = { DATABASE_URL: 'postgres://127.0.0.1:9/x', REDIS_URL: 'redis://127.0.0.1:9', NATS_URL: 'nats://127.0.0.1:9' };

  test('starts the catcher with its messages in <dir>/mail (npm start: .data/mail) and stops it with the rest', async () => {
    const dir = testDir('infra-mail');
    const infra = await startInfra({ dir, env: others });
    let stopped = false;
    try {
      assert.equal(infra.mailDir, join(dir, 'mail'));
      assert.match(infra.smtpUrl, /^smtp:\/\/127\.0\.0\.1:\d+$/);
      const sender = createMailSender(infra.smtpUrl, from);
      await sender.send({ to: aRecipient(), subject: 'Kept under the stack directory', text: 'hello' });
      sender.close();
      assert.equal(readdirSync(join(dir, 'mail')).filter((f) => f.endsWith('.eml')).length, 1);
      await infra.stop();
      stopped = true;
      assert.equal(infra.servers.mail?.pid, undefined, 'the catcher process has exited');
      assert.equal(await tcpAnswers(Number(new URL(infra.smtpUrl).port), '', '220 '), false);
    } finally {
      if (!stopped) await infra.stop();
    }
  });

  test('an SMTP_URL of yours wins: no catcher, no mail directory', async () => {
    const infra: Infra = await startInfra({ dir: testDir('infra-smtp'), env: { ...others, SMTP_URL: 'smtp://mail.example.test:587' } });
    await infra.stop();
    assert.equal(infra.smtpUrl, 'smtp://mail.example.test:587');
    assert.equal(infra.mailDir, undefined);
    assert.equal(infra.servers.mail, undefined);
  });
});

describe('mail settings for the services (serviceEnv)', () => {
  async function context(overrides: Partial<StackContext>): Promise<StackContext> {
    const known = Object.fromEntries(
      serviceDefs.map((d) => [d.name, []]),
    ) as unknown as Record<ServiceName, string[]>;
    for (const v of await variables()) for (const s of v.services) known[s].push(v.name);
    return {
      ports: { identity: 1, ballot: 2, 'vote-api': 3, results: 4, relay: 6, audit: 7, gateway: 5 },
      opsPorts: { identity: 11, ballot: 12, 'vote-api': 13, results: 14, relay: 16, audit: 17, gateway: 15 },
      databaseUrls: {},
      redisUrl: 'redis://r',
      natsUrl: 'nats://n',
      smtpUrl: 'smtp://127.0.0.1:2525',
      mailDir: '/data/mail',
      secrets: { ALTCHA_HMAC_KEY: 'a', KEY_ENCRYPTION_KEY: 'k', AUDIT_KEY_ENCRYPTION_KEY: 'q', EMAIL_HASH_KEY: 'e', ONEVOTE_ADMIN_PASSWORD: 'p' },
      logLevel: 'info',
      // No service sends mail yet: identity is made to know SMTP_URL, as it will.
      variables: { ...known, identity: [...known.identity, 'SMTP_URL'] },
      userEnv: {},
      ...overrides,
    };
  }
  const env = (name: ServiceName, ctx: StackContext) => serviceEnv(serviceDefs.find((d) => d.name === name)!, ctx);

  test('every service whose config schema knows SMTP_URL gets the stack’s, and only those', async () => {
    const ctx = await context({});
    assert.equal(env('identity', ctx).SMTP_URL, 'smtp://127.0.0.1:2525');
    for (const other of ['ballot', 'vote-api', 'results', 'relay', 'audit', 'gateway'] as const) {
      assert.equal(env(other, ctx).SMTP_URL, undefined, other);
    }
  });

  test('the gateway (its schema knows MAIL_DIR) gets the catcher’s directory; no catcher, no MAIL_DIR', async () => {
    assert.equal(env('gateway', await context({})).MAIL_DIR, '/data/mail');
    assert.equal(env('identity', await context({})).MAIL_DIR, undefined);
    const { mailDir: _none, ...withoutCatcher } = await context({ smtpUrl: 'smtp://mail.example.test:587' });
    assert.equal(env('gateway', withoutCatcher).MAIL_DIR, undefined);
    assert.equal(env('identity', withoutCatcher).SMTP_URL, 'smtp://mail.example.test:587');
  });

  test('the stack’s SMTP_URL is not overridden per service from the environment', async () => {
    const ctx = await context({ userEnv: { IDENTITY__SMTP_URL: 'smtp://elsewhere:25', MAIL_DIR: '/elsewhere' } });
    assert.equal(env('identity', ctx).SMTP_URL, 'smtp://127.0.0.1:2525');
    assert.equal(env('gateway', ctx).MAIL_DIR, '/data/mail');
  });
});

describe('npm start’s banner', () => {
  const stackWith = (infra: Partial<Infra>, gatewayEnv: NodeJS.ProcessEnv) => ({
    gatewayUrl: 'http://127.0.0.1:8080',
    admin: { email: 'admin@onevote.local', password: 'p', generatedNow: false },
    services: new Map([['gateway', { def: serviceDefs.find((d) => d.name === 'gateway')!, url: 'http://127.0.0.1:8080', env: gatewayEnv } as RunningService]]) as Map<ServiceName, RunningService>,
    infra: { postgresAdminUrl: 'postgres://postgres@127.0.0.1:54329/postgres', redisUrl: 'redis://127.0.0.1:63799', natsUrl: 'nats://admin:n4ts-pa55@127.0.0.1:42229', smtpUrl: 'smtp://127.0.0.1:25259', ...infra } as Infra,
  });

  test('tells where mail is kept and where the gateway lists it', () => {
    const text = banner(stackWith({ mailDir: join(repoRoot, '.data', 'mail') }, { MAIL_DIR: join(repoRoot, '.data', 'mail'), NODE_ENV: 'development' }), {});
    assert.match(text, /Mail: +never delivered: kept in \.data\/mail\/, listed at http:\/\/127\.0\.0\.1:8080\/dev\/mail \(SMTP smtp:\/\/127\.0\.0\.1:25259\)/);
    assert.ok(!text.includes('n4ts-pa55'), 'passwords in URLs are hidden');
  });

  test('with an SMTP_URL of yours it says so, without its password', () => {
    const text = banner(stackWith({ smtpUrl: 'smtp://user:hunter2@mail.example.test:587' }, {}), {});
    assert.match(text, /Mail: +sent through SMTP_URL \(smtp:\/\/user:\*\*\*@mail\.example\.test:587\)/);
    assert.ok(!text.includes('hunter2'));
  });
});

describe('a stack', () => {
  test('its gateway process lists at /dev/mail what the stack’s catcher caught', async () => {
    const stack = await startTestStack({ seed: false, omit: ['identity', 'ballot', 'vote-api', 'results', 'relay', 'audit'] });
    assert.ok(stack.infra.mailDir);
    assert.equal(stack.services.get('gateway')?.env.MAIL_DIR, stack.infra.mailDir);
    const to = aRecipient();
    const sender = createMailSender(stack.infra.smtpUrl, from);
    await sender.send({ to, subject: 'Through the stack', text: 'caught and listed' });
    sender.close();
    const res = await fetch(`${stack.gatewayUrl}/dev/mail?to=${encodeURIComponent(to)}`);
    assert.equal(res.status, 200);
    const { messages } = (await res.json()) as { messages: { subject: string; text: string }[] };
    assert.deepEqual(messages.map((m) => [m.subject, m.text.trim()]), [['Through the stack', 'caught and listed']]);
  });
});
