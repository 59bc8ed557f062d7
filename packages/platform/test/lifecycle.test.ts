import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@onevote/stack/testing';
import { Type } from '@sinclair/typebox';
import { ConfigError, parseConfig, port, serviceConfig } from '../src/index.ts';

const fixture = fileURLToPath(new URL('./fixtures/slow-service.ts', import.meta.url));

function startFixture(env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { PATH: process.env.PATH, LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = once(child, 'exit').then(([code]) => code as number);
  return { child, exited, out: () => stdout, err: () => stderr };
}

describe('graceful shutdown', () => {
  test('SIGTERM lets an in-flight request finish, refuses new connections, closes clients, exits 0', async () => {
    const svc = startFixture({ FIXTURE_SECRET: 'a-long-enough-secret', SLOW_MS: '1500' });
    await waitFor('fixture to listen', () => /LISTENING \d+ OPS \d+/.test(svc.out()), { timeoutMs: 20_000 });
    const [, port, opsPort] = /LISTENING (\d+) OPS (\d+)/.exec(svc.out())!.map(Number);
    assert.equal((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status, 200);

    const inFlight = fetch(`http://127.0.0.1:${port}/slow`);
    // The request must have reached the server before the signal: wait until it is being handled.
    await waitFor('the slow request to be in its handler', () => svc.out().includes('SLOW_STARTED'));
    svc.child.kill('SIGTERM');

    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { finished: true });
    assert.equal(await svc.exited, 0);
    assert.match(svc.out(), /CLOSERS_RAN/);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/slow`));
    await assert.rejects(fetch(`http://127.0.0.1:${opsPort}/healthz`));
  });

  test('the operations endpoints answer only on the operations listener', async () => {
    const svc = startFixture({ FIXTURE_SECRET: 'a-long-enough-secret' });
    await waitFor('fixture to listen', () => /LISTENING \d+ OPS \d+/.test(svc.out()), { timeoutMs: 20_000 });
    const [, port, opsPort] = /LISTENING (\d+) OPS (\d+)/.exec(svc.out())!.map(Number);
    try {
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        assert.equal((await fetch(`http://127.0.0.1:${port}${path}`)).status, 404, `public ${path}`);
        assert.equal((await fetch(`http://127.0.0.1:${opsPort}${path}`)).status, 200, `ops ${path}`);
      }
      assert.match(await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text(), /http_requests_total/);
    } finally {
      svc.child.kill('SIGTERM');
      await svc.exited;
    }
  });
});

describe('configuration', () => {
  const schema = serviceConfig({ PORT: port(8080), SECRET: Type.String({ minLength: 16 }) });

  test('every bad variable is reported at once, secrets not echoed', () => {
    assert.throws(
      () => parseConfig('svc', schema, { PORT: 'eighty', LOG_LEVEL: 'loud' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 3, err.message);
        assert.match(err.message, /PORT/);
        assert.match(err.message, /SECRET.*missing/);
        assert.match(err.message, /LOG_LEVEL/);
        return true;
      },
    );
    assert.throws(
      () => parseConfig('svc', schema, { SECRET: 'short' }),
      (err: ConfigError) => !err.message.includes('short'),
    );
  });

  test('good values are converted and defaults filled in', () => {
    const config = parseConfig('svc', schema, { PORT: '9000', SECRET: 'x'.repeat(16) });
    assert.equal(config.PORT, 9000);
    assert.equal(config.HOST, '127.0.0.1');
  });

  test('a service with a bad configuration exits at start-up with one message naming each variable', async () => {
    const svc = startFixture({ PORT: 'not-a-number' });
    assert.equal(await svc.exited, 78);
    const message = svc.err();
    assert.match(message, /fixture: invalid configuration/);
    assert.match(message, /PORT/);
    assert.match(message, /FIXTURE_SECRET/);
    assert.equal(message.match(/invalid configuration/g)?.length, 1);
  });
});

describe('production refuses published secrets (issue 14, item 8)', () => {
  const schema = serviceConfig({ ONEVOTE_ADMIN_PASSWORD: Type.String({ default: '' }), ALTCHA_HMAC_KEY: Type.String({ default: '' }) });

  test('a known default admin password or key is a config error in production, and fine in development', () => {
    const env = { ONEVOTE_ADMIN_PASSWORD: 'admin-password-123', ALTCHA_HMAC_KEY: 'test-altcha-hmac-key-of-32-chars-or-more' };
    assert.throws(
      () => parseConfig('identity', schema, { ...env, NODE_ENV: 'production' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 2, err.message);
        assert.doesNotMatch(err.message, /admin-password-123/, 'the value itself is not echoed');
        return true;
      },
    );
    assert.doesNotThrow(() => parseConfig('identity', schema, { ...env, NODE_ENV: 'development' }));
    assert.doesNotThrow(() => parseConfig('identity', schema, { ONEVOTE_ADMIN_PASSWORD: 'Xk3-generated-9f2Q', NODE_ENV: 'production' }));
  });
});
