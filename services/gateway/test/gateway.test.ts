import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { securityHeaders } from '@onevote/contracts';
import { type BootedService, bootService } from '@onevote/platform';
import type { App } from '@onevote/platform';
import { normalPath, upstreamFor } from '../src/http/routing.ts';
import { gatewayService } from '../src/service.ts';

describe('path routing (API.md)', () => {
  test('each public path goes to the service that owns it', () => {
    assert.equal(upstreamFor('/v1/auth/login'), 'identity');
    assert.equal(upstreamFor('/.well-known/jwks.json'), 'identity');
    assert.equal(upstreamFor('/v1/elections'), 'ballot');
    assert.equal(upstreamFor('/v1/elections/abc/open'), 'ballot');
    assert.equal(upstreamFor('/v1/elections/abc/votes'), 'vote-api');
    assert.equal(upstreamFor('/v1/elections/abc/votes/me'), 'vote-api');
    assert.equal(upstreamFor('/v1/elections/abc/review/clusters'), 'vote-api');
    assert.equal(upstreamFor('/v1/elections/abc/review/clusters/c1/ballots'), 'vote-api');
    assert.equal(upstreamFor('/v1/elections/abc/voids'), 'vote-api');
    assert.equal(upstreamFor('/v1/elections/abc/voidsx'), 'ballot');
    assert.equal(upstreamFor('/v1/elections/abc/results/stream'), 'results');
    assert.equal(upstreamFor('/v1/elections/abc/log/head'), 'audit');
    assert.equal(upstreamFor('/v1/audit/keys'), 'audit');
    assert.equal(upstreamFor('/v1/admin/operations/stream'), 'ballot');
    assert.equal(upstreamFor('/v1/elections/abc/operations'), 'ballot');
    assert.equal(upstreamFor('/v1/admin/other'), undefined);
    assert.equal(upstreamFor('/v1/electionsX'), undefined);
    assert.equal(upstreamFor('/healthz'), undefined);
  });

  test('only paths already in normal form are routed', () => {
    assert.equal(normalPath('/v1/elections/abc/votes?x=1'), '/v1/elections/abc/votes');
    for (const bad of [
      '/v1/elections/x/votes/\\..\\..\\..\\metrics',
      '/v1/elections/x/votes/../../../metrics',
      '/v1/elections/x/votes/%2e%2e/%2e%2e/%2E%2E/metrics',
      '/v1/elections/x/votes/%5c..%5cmetrics',
      '/v1/elections/x%2fvotes',
      '/v1/elections/./x/votes',
      '/v1//elections',
      'v1/elections',
    ]) {
      assert.equal(normalPath(bad), undefined, bad);
    }
  });
});

/** A real HTTP server standing for an upstream service; it reports what it received. */
interface Upstream {
  server: Server;
  url: string;
  seen: IncomingMessage[];
  /** Bytes that reached an upgraded (or refused-upgrade) socket after the request head. */
  upgradeBytes: string[];
}

function upstream(name: string): Promise<Upstream> {
  const seen: IncomingMessage[] = [];
  const upgradeBytes: string[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    if (req.url?.endsWith('/stream')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: results\ndata: {"n":1}\n\n');
      return; // left open: the test reads the first frame while the stream is still open
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ service: name, method: req.method, url: req.url, body, headers: req.headers }),
      );
    });
  });
  server.on('upgrade', (req, socket, head) => {
    seen.push(req);
    const record = (d: Buffer) => upgradeBytes.push(String(d));
    if (head.length) record(head);
    socket.on('data', record);
    // Like the results service for an unknown election: the upgrade is refused with a plain answer,
    // and the socket is kept open (a service that is not a careful proxy target).
    if (req.url?.includes('/missing/')) {
      socket.write('HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: 2\r\n\r\n{}');
      return;
    }
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n');
    const echo = (d: Buffer) => socket.write(`echo:${name}:${req.url}:${d}`);
    if (head.length) echo(head);
    socket.on('data', echo);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}`, seen, upgradeBytes });
    }),
  );
}

/** A gateway booted as `main.ts` boots it, routing to the given upstream URLs. */
function aGateway(env: Record<string, string>): Promise<BootedService<unknown, { app: App }>> {
  return bootService(gatewayService, {
    env: { PORT: '0', LOG_LEVEL: 'silent', TRUSTED_PROXIES: '127.0.0.1', SHUTDOWN_TIMEOUT_MS: '1000', ...env },
  });
}

/** Sends raw bytes on a new connection; resolves with everything received until the server closes it. */
function rawExchange(port: number, bytes: string, timeoutMs = 5000): Promise<{ received: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ received, closed: false });
    }, timeoutMs);
    socket.on('data', (d) => (received += d));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ received, closed: true });
    });
    socket.on('error', () => {});
  });
}

describe('gateway', () => {
  let gateway: Awaited<ReturnType<typeof aGateway>>;
  let base: string;
  const ups: Upstream[] = [];

  before(async () => {
    for (const name of ['identity', 'ballot', 'vote-api', 'results']) ups.push(await upstream(name));
    // results is not "deployed" in this gateway; a second one below routes to it.
    gateway = await aGateway({ IDENTITY_URL: ups[0]!.url, BALLOT_URL: ups[1]!.url, VOTE_API_URL: ups[2]!.url });
    base = gateway.url;
  });
  after(async () => {
    await gateway.close();
    for (const u of ups) {
      u.server.closeAllConnections();
      u.server.close();
    }
  });

  test('a POST reaches the owning service with its body, query and forwarded headers intact', async () => {
    const res = await fetch(`${base}/v1/elections/e1/votes?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'rid-1', dpop: 'proof' },
      body: JSON.stringify({ selections: [] }),
    });
    assert.equal(res.status, 200);
    const seen = await res.json();
    assert.equal(seen.service, 'vote-api');
    assert.equal(seen.url, '/v1/elections/e1/votes?x=1');
    assert.equal(seen.body, '{"selections":[]}');
    assert.equal(seen.headers.dpop, 'proof');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-host'], new URL(base).host);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  });

  test('the merged OpenAPI 3.1 document lists every public path', async () => {
    const doc = await (await fetch(`${base}/v1/openapi.json`)).json();
    assert.equal(doc.openapi, '3.1.0');
    for (const path of [
      '/v1/auth/login',
      '/v1/elections/{id}/votes',
      '/v1/elections/{id}/results',
      '/.well-known/jwks.json',
      '/v1/auth/email/change',
      '/v1/auth/email/change/confirm',
      '/v1/elections/{id}/review/clusters',
      '/v1/elections/{id}/review/clusters/{clusterId}/ballots',
      '/v1/elections/{id}/voids',
    ]) {
      assert.ok(doc.paths[path], path);
    }
    // Fraud review is admin-only, and a void after the results are final is a documented 409.
    const voids = doc.paths['/v1/elections/{id}/voids'].post;
    assert.deepEqual(voids.security, [{ DPoP: [] }]);
    assert.match(voids.responses['409'].description, /results_final/);
    assert.deepEqual(Object.keys(voids.requestBody.content['application/json'].schema.properties).sort(), ['ballots', 'clusterId', 'reason']);
    // An email change tells nobody whether an address is registered, and says so.
    const change = doc.paths['/v1/auth/email/change'].post;
    assert.match(change.description, /already belongs to another account the answer is the same 202/);
    assert.deepEqual(Object.keys(change.requestBody.content['application/json'].schema.properties).sort(), ['email', 'otp', 'password']);
    assert.ok(doc.paths['/v1/auth/email/change/confirm'].post.responses['409'], 'email_taken');
  });

  test('a service that is not deployed answers 503 problem+json; an unknown path 404', async () => {
    const down = await fetch(`${base}/v1/elections/e1/results`);
    assert.equal(down.status, 503);
    assert.equal((await down.json()).code, 'unavailable');
    const missing = await fetch(`${base}/v1/nothing`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).code, 'not_found');
  });

  test('an upstream that is down is a 503 with Retry-After, not a hang or a 500', async () => {
    const dead = await aGateway({ IDENTITY_URL: 'http://127.0.0.1:1' });
    const res = await fetch(`${dead.url}/v1/auth/me`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    await dead.close();
  });

  test('server-sent events stream through before the upstream response ends', async () => {
    const streaming = await aGateway({ RESULTS_URL: ups[3]!.url });
    const url = streaming.url;
    const res = await fetch(`${url}/v1/elections/e1/results/stream`, {
      headers: { accept: 'text/event-stream' },
    });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /event: results/);
    await reader.cancel();

    // WebSocket upgrades are tunnelled to the owner of the path.
    const port = Number(new URL(url).port);
    const socket = connect(port, '127.0.0.1');
    socket.write(
      'GET /v1/elections/e1/results/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nping',
    );
    let received = '';
    await new Promise<void>((resolve) =>
      socket.on('data', (d) => {
        received += d;
        if (received.includes('echo:')) resolve();
      }),
    );
    assert.match(received, /101 Switching Protocols/);
    assert.match(received, /echo:results:\/v1\/elections\/e1\/results\/ws:ping/);
    socket.destroy();
    await streaming.close();
  });
});

describe('gateway hardening (issue 14)', () => {
  const ups: Upstream[] = [];
  let gateway: Awaited<ReturnType<typeof aGateway>>;
  let port: number;

  before(async () => {
    for (const name of ['identity', 'ballot', 'vote-api', 'results']) ups.push(await upstream(name));
    gateway = await aGateway({
      IDENTITY_URL: ups[0]!.url,
      BALLOT_URL: ups[1]!.url,
      VOTE_API_URL: ups[2]!.url,
      RESULTS_URL: ups[3]!.url,
      MAX_STREAMS: '700',
    });
    port = Number(new URL(gateway.url).port);
  });
  after(async () => {
    await gateway.close();
    for (const u of ups) {
      u.server.closeAllConnections();
      u.server.close();
    }
  });

  test('an upgrade that is not a WebSocket, or not on the WebSocket route, is 400 and closes the connection: nothing smuggled reaches a service', async () => {
    const identity = ups[0]!;
    const before = identity.seen.length;
    const smuggled = 'GET /v1/auth/me HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 203.0.113.66\r\n\r\n';
    for (const [path, upgrade] of [
      ['/v1/auth/register', 'h2c'],
      ['/v1/auth/register', 'websocket'],
      ['/v1/elections/e1/results/ws', 'anything'],
      ['/v1/elections/e1/results/ws/../../../../metrics', 'websocket'],
    ] as const) {
      const { received, closed } = await rawExchange(
        port,
        `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n${smuggled}`,
      );
      assert.match(received, /^HTTP\/1\.1 400 /, `${path} ${upgrade}`);
      assert.match(received, /application\/problem\+json/);
      assert.ok(closed, 'the gateway closes the connection');
      assert.doesNotMatch(received, /HTTP\/1\.1 200/, 'the smuggled request was not answered');
    }
    assert.equal(identity.seen.length, before, 'identity received nothing');
    assert.deepEqual(identity.upgradeBytes, []);
  });

  test('a WebSocket upgrade the upstream refuses is relayed and closed; bytes sent after it never reach the upstream', async () => {
    const results = ups[3]!;
    results.upgradeBytes.length = 0;
    const { received, closed } = await rawExchange(
      port,
      'GET /v1/elections/missing/results/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n' +
        'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    assert.match(received, /^HTTP\/1\.1 404 /);
    assert.match(received, /connection: close/i);
    assert.ok(closed);
    assert.deepEqual(results.upgradeBytes, [], 'nothing after the request head was sent upstream');
  });

  test('a path that normalises elsewhere (backslashes, dot segments, encoded dots) is 400 and reaches no service', async () => {
    const voteApi = ups[2]!;
    const before = voteApi.seen.length;
    for (const path of [
      '/v1/elections/x/votes/\\..\\..\\..\\metrics',
      '/v1/elections/x/votes/%2e%2e/%2e%2e/%2e%2e/metrics',
      '/v1/elections/x/votes/%5C..%5C..%5Cmetrics',
    ]) {
      const { received } = await rawExchange(port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(received, /^HTTP\/1\.1 400 /, path);
    }
    assert.equal(voteApi.seen.length, before);
    assert.ok(!voteApi.seen.some((r) => r.url === '/metrics'));
  });

  test("the gateway's own /metrics, /readyz and /healthz are not on its public port, only on its operations port", async () => {
    for (const path of ['/metrics', '/readyz', '/healthz']) {
      const res = await fetch(`${gateway.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(await res.text(), /http_requests_total|"ready"/);
    }
    assert.match(await (await fetch(`${gateway.opsUrl}/metrics`)).text(), /http_requests_total/);
    assert.equal((await fetch(`${gateway.opsUrl}/readyz`)).status, 200);
  });

  test('every answer carries the browser security headers (CSP with frame-ancestors, nosniff, Referrer-Policy, HSTS)', async () => {
    for (const path of ['/v1/auth/me', '/v1/nothing', '/v1/openapi.json']) {
      const res = await fetch(`${gateway.url}${path}`);
      await res.arrayBuffer();
      for (const [name, value] of Object.entries(securityHeaders)) assert.equal(res.headers.get(name), value, `${path} ${name}`);
    }
    assert.match(securityHeaders['content-security-policy'], /frame-ancestors 'none'/);
  });

  test('open result streams never starve snapshot reads (streams have their own upstream pool), and past the cap streams get 503', async () => {
    const controllers: AbortController[] = [];
    try {
      // More streams than the ordinary pool's 512 connections.
      const opened = await Promise.all(
        Array.from({ length: 600 }, async () => {
          const controller = new AbortController();
          controllers.push(controller);
          const res = await fetch(`${gateway.url}/v1/elections/e1/results/stream`, {
            headers: { accept: 'text/event-stream' },
            signal: controller.signal,
          });
          return res.status;
        }),
      );
      assert.ok(opened.every((s) => s === 200));
      const snapshot = await fetch(`${gateway.url}/v1/elections/e1/results`, { signal: AbortSignal.timeout(5000) });
      assert.equal(snapshot.status, 200);
      assert.equal((await snapshot.json()).service, 'results');

      const more = await Promise.all(
        Array.from({ length: 150 }, async () => {
          const controller = new AbortController();
          controllers.push(controller);
          const res = await fetch(`${gateway.url}/v1/elections/e1/results/stream`, { signal: controller.signal });
          return res.status;
        }),
      );
      assert.equal(more.filter((s) => s === 503).length, 50, 'the 701st and later streams are refused');
    } finally {
      for (const c of controllers) c.abort();
    }
  });
});
