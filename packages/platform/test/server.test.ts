import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freePort, PostgresServer } from '@onevote/stack';
import { testDir } from '@onevote/stack/testing';
import { Type } from '@sinclair/typebox';
import {
  type App,
  AppError,
  createLogger,
  createMetrics,
  createPostgres,
  createOpsServer,
  createServer,
  type OpsServer,
  readiness,
} from '../src/index.ts';

function anApp(options: Partial<Parameters<typeof createServer>[0]> = {}): App {
  const app = createServer({
    service: 'test',
    logger: createLogger('test', 'silent'),
    metrics: createMetrics('test'),
    trustedProxies: '127.0.0.1',
    ...options,
  });
  app.get('/whoami', async (request) => ({ clientIp: request.clientIp, ip: request.ip }));
  app.post(
    '/things',
    {
      schema: {
        body: Type.Object({ name: Type.String({ maxLength: 20000 }) }, { additionalProperties: false }),
      },
    },
    async (request, reply) => reply.status(201).send({ name: request.body.name }),
  );
  app.get('/things/:id', async (request) => {
    const { id } = request.params as { id: string };
    if (id === 'voted')
      throw new AppError('already_voted', { detail: 'once only', extra: { receiptId: 'r-1' } });
    if (id === 'busy') throw new AppError('unavailable', { retryAfter: 2 });
    if (id === 'boom') throw new Error('database password is hunter2');
    return { id };
  });
  return app;
}

describe('problem+json error mapping', () => {
  const app = anApp();
  after(() => app.close());

  test('a typed error becomes its catalogued status, code and extra members', async () => {
    const res = await app.inject({ method: 'GET', url: '/things/voted' });
    assert.equal(res.statusCode, 409);
    assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
    const body = res.json();
    assert.equal(body.code, 'already_voted');
    assert.equal(body.status, 409);
    assert.equal(body.detail, 'once only');
    assert.equal(body.receiptId, 'r-1');
    assert.equal(body.type, 'https://onevote.dev/problems/already-voted');
    assert.equal(body.requestId, res.headers['x-request-id']);
  });

  test('an overload error carries Retry-After', async () => {
    const res = await app.inject({ method: 'GET', url: '/things/busy' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '2');
    assert.equal(res.json().code, 'unavailable');
  });

  test('an unexpected error is a 500 that reveals nothing of its message or stack', async () => {
    const res = await app.inject({ method: 'GET', url: '/things/boom' });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().code, 'internal_error');
    assert.doesNotMatch(res.body, /hunter2|at .*\.ts/);
  });

  test('a body that fails its schema is 400 invalid_request', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 42 } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().code, 'invalid_request');
  });

  test('unknown members are refused, not dropped', async () => {
    const res = await app.inject({ method: 'POST', url: '/things', payload: { name: 'a', status: 'admin' } });
    assert.equal(res.statusCode, 400);
  });

  test('__proto__ and constructor keys are refused', async () => {
    for (const payload of [
      '{"name":"a","__proto__":{"x":1}}',
      '{"name":"a","constructor":{"prototype":{"x":1}}}',
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/things',
        payload,
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.statusCode, 400, payload);
      assert.equal(res.json().code, 'invalid_request');
    }
  });

  test('malformed JSON is 400 and a non-JSON content type is 415', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/things',
      payload: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().code, 'invalid_request');
    const text = await app.inject({
      method: 'POST',
      url: '/things',
      payload: 'name=a',
      headers: { 'content-type': 'text/plain' },
    });
    assert.equal(text.statusCode, 415);
    assert.equal(text.json().code, 'unsupported_media_type');
  });

  test('a body over 16 KiB is 413 payload_too_large', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/things',
      payload: { name: 'x'.repeat(17 * 1024) },
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().code, 'payload_too_large');
  });

  test('an unknown path is 404 and a known path with the wrong method is 405 with Allow', async () => {
    const missing = await app.inject({ method: 'GET', url: '/nothing-here' });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'not_found');
    const wrong = await app.inject({ method: 'DELETE', url: '/things/7' });
    assert.equal(wrong.statusCode, 405);
    assert.equal(wrong.json().code, 'method_not_allowed');
    assert.match(wrong.headers.allow as string, /GET/);
  });
});

describe('request ids', () => {
  const app = anApp();
  after(() => app.close());

  test('a well-formed x-request-id is echoed back, also in errors', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/nothing',
      headers: { 'x-request-id': 'abc-123.test' },
    });
    assert.equal(res.headers['x-request-id'], 'abc-123.test');
    assert.equal(res.json().requestId, 'abc-123.test');
  });

  test('a missing or malformed x-request-id is replaced by a fresh one', async () => {
    const none = await app.inject({ method: 'GET', url: '/things/1' });
    assert.match(none.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
    const bad = await app.inject({
      method: 'GET',
      url: '/things/1',
      headers: { 'x-request-id': 'x'.repeat(300) },
    });
    assert.match(bad.headers['x-request-id'] as string, /^[0-9a-f-]{36}$/);
  });
});

describe('RED metrics', () => {
  test('requests are counted per route pattern and status', async () => {
    const metrics = createMetrics('test');
    const app = anApp({ metrics });
    await app.inject({ method: 'GET', url: '/things/1' });
    await app.inject({ method: 'GET', url: '/things/voted' });
    const ops = createOpsServer({ service: 'test', logger: createLogger('test', 'silent'), metrics, readiness: [] });
    const text = await (await ops.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(
      text,
      /http_requests_total\{method="GET",route="\/things\/:id",status="200",service="test"\} 1/,
    );
    assert.match(
      text,
      /http_requests_total\{method="GET",route="\/things\/:id",status="409",service="test"\} 1/,
    );
    await app.close();
    await ops.close();
  });
});

describe('/readyz follows PostgreSQL', () => {
  let pg: PostgresServer;
  let sql: ReturnType<typeof createPostgres>;
  let app: OpsServer;

  before(async () => {
    pg = new PostgresServer(`${testDir('pg-readyz')}/data`, await freePort());
    await pg.start();
    sql = createPostgres(pg.adminUrl, { applicationName: 'readyz-test', max: 2 });
    app = createOpsServer({
      service: 'test',
      logger: createLogger('test', 'silent'),
      metrics: createMetrics('test'),
      readiness: [readiness.postgres(sql)],
    });
  });
  after(async () => {
    await app.close();
    await sql.end({ timeout: 1 });
    await pg.stop();
  });

  test('ready, then unready while PostgreSQL is stopped, then ready again once it is back', async () => {
    const first = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(first.statusCode, 200);
    assert.equal(first.json().checks.postgres, 'ok');

    await pg.stop();
    const down = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(down.statusCode, 503);
    assert.equal(down.json().code, 'unavailable');
    assert.notEqual(down.json().checks.postgres, 'ok');

    await pg.start();
    const back = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(back.statusCode, 200);
  });

  test('/healthz stays alive regardless', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(res.statusCode, 200);
  });

  test('a request whose database is away (stopped, or read-only after a failover) is 503 with Retry-After, not 500', async () => {
    const api = anApp();
    api.get('/db', async () => (await sql`select 1 as one`)[0]);
    // What a connection to a primary that was demoted to a standby gets: SQLSTATE 25006.
    api.get('/db-read-only', async () => sql.begin('read only', (tx) => tx`create table never_made (id int)`));
    try {
      assert.equal((await api.inject({ method: 'GET', url: '/db' })).statusCode, 200);
      const readOnly = await api.inject({ method: 'GET', url: '/db-read-only' });
      assert.equal(readOnly.statusCode, 503);
      assert.equal(readOnly.json().code, 'unavailable');
      await pg.stop();
      const down = await api.inject({ method: 'GET', url: '/db' });
      assert.equal(down.statusCode, 503);
      assert.equal(down.json().code, 'unavailable');
      assert.equal(down.headers['retry-after'], '1');
      await pg.start();
      assert.equal((await api.inject({ method: 'GET', url: '/db' })).statusCode, 200);
    } finally {
      await api.close();
    }
  });
});

describe('the client address behind CloudFront (CloudFront-Viewer-Address with the origin secret)', () => {
  const app = anApp({ originSecret: 'old-secret-value,new-secret-value' });
  after(() => app.close());
  const whoami = async (headers: Record<string, string>) =>
    (await app.inject({ method: 'GET', url: '/whoami', headers, remoteAddress: '127.0.0.1' })).json();

  test('with the origin secret, the viewer address is the client (IPv4 and IPv6, either secret of a rotation)', async () => {
    const v4 = await whoami({
      'x-origin-verify': 'new-secret-value',
      'cloudfront-viewer-address': '198.51.100.10:46532',
      'x-forwarded-for': '203.0.113.99, 10.1.2.3',
    });
    assert.equal(v4.clientIp, '198.51.100.10');
    const v6 = await whoami({
      'x-origin-verify': 'old-secret-value',
      'cloudfront-viewer-address': '2001:db8:3333:4444:5555:6666:7777:8888:46532',
    });
    assert.equal(v6.clientIp, '2001:db8:3333:4444:5555:6666:7777:8888');
  });

  test('without the secret, or with a wrong one, a viewer address header is ignored', async () => {
    for (const headers of <Record<string, string>[]>[
      { 'cloudfront-viewer-address': '198.51.100.10:1', 'x-forwarded-for': '10.1.2.3' },
      { 'x-origin-verify': 'guessed-secret!!', 'cloudfront-viewer-address': '198.51.100.10:1', 'x-forwarded-for': '10.1.2.3' },
      { 'x-origin-verify': 'new-secret-value', 'cloudfront-viewer-address': 'not-an-address', 'x-forwarded-for': '10.1.2.3' },
    ]) {
      assert.equal((await whoami(headers)).clientIp, '10.1.2.3', JSON.stringify(headers));
    }
  });

  test('with no origin secret configured the header means nothing', async () => {
    const plain = anApp();
    const res = await plain.inject({
      method: 'GET',
      url: '/whoami',
      headers: { 'x-origin-verify': '', 'cloudfront-viewer-address': '198.51.100.10:1' },
      remoteAddress: '127.0.0.1',
    });
    assert.equal(res.json().clientIp, '127.0.0.1');
    await plain.close();
  });
});
