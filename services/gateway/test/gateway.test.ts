import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createLogger, createMetrics } from '@onevote/platform';
import { buildApp } from '../src/app.ts';
import { upstreamFor } from '../src/routing.ts';

describe('path routing (API.md)', () => {
  test('each public path goes to the service that owns it', () => {
    assert.equal(upstreamFor('/v1/auth/login'), 'identity');
    assert.equal(upstreamFor('/.well-known/jwks.json'), 'identity');
    assert.equal(upstreamFor('/v1/elections'), 'ballot');
    assert.equal(upstreamFor('/v1/elections/abc/open'), 'ballot');
    assert.equal(upstreamFor('/v1/elections/abc/votes'), 'vote-api');
    assert.equal(upstreamFor('/v1/elections/abc/votes/me'), 'vote-api');
    assert.equal(upstreamFor('/v1/elections/abc/results/stream'), 'results');
    assert.equal(upstreamFor('/v1/electionsX'), undefined);
    assert.equal(upstreamFor('/healthz'), undefined);
  });
});

/** A real HTTP server standing for an upstream service; it reports what it received. */
function upstream(name: string): Promise<{ server: Server; url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
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
    socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n');
    const echo = (d: Buffer) => socket.write(`echo:${name}:${req.url}:${d}`);
    if (head.length) echo(head);
    socket.on('data', echo);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      resolve({ server, url: `http://127.0.0.1:${port}`, seen });
    }),
  );
}

describe('gateway', () => {
  let app: Awaited<ReturnType<typeof buildApp>>;
  let base: string;
  const ups: Awaited<ReturnType<typeof upstream>>[] = [];

  before(async () => {
    for (const name of ['identity', 'ballot', 'vote-api', 'results']) ups.push(await upstream(name));
    app = await buildApp({
      config: {
        HOST: '127.0.0.1',
        PORT: 0,
        LOG_LEVEL: 'silent',
        TRUSTED_PROXIES: '127.0.0.1',
        SHUTDOWN_TIMEOUT_MS: 1000,
        IDENTITY_URL: ups[0]!.url,
        BALLOT_URL: ups[1]!.url,
        VOTE_API_URL: ups[2]!.url,
        RESULTS_URL: '',
        WEB_DIST: '',
      },
      logger: createLogger('gateway', 'silent'),
      metrics: createMetrics('gateway'),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    // results is not "deployed" in this app; a second app below routes to it.
  });
  after(async () => {
    await app.close();
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
    ]) {
      assert.ok(doc.paths[path], path);
    }
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
    const dead = await buildApp({
      config: {
        HOST: '127.0.0.1',
        PORT: 0,
        LOG_LEVEL: 'silent',
        TRUSTED_PROXIES: '',
        SHUTDOWN_TIMEOUT_MS: 1000,
        IDENTITY_URL: 'http://127.0.0.1:1',
        BALLOT_URL: '',
        VOTE_API_URL: '',
        RESULTS_URL: '',
        WEB_DIST: '',
      },
      logger: createLogger('gateway', 'silent'),
      metrics: createMetrics('gateway'),
    });
    const res = await dead.inject({ method: 'GET', url: '/v1/auth/me' });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '1');
    await dead.close();
  });

  test('server-sent events stream through before the upstream response ends', async () => {
    const streaming = await buildApp({
      config: {
        HOST: '127.0.0.1',
        PORT: 0,
        LOG_LEVEL: 'silent',
        TRUSTED_PROXIES: '',
        SHUTDOWN_TIMEOUT_MS: 1000,
        IDENTITY_URL: '',
        BALLOT_URL: '',
        VOTE_API_URL: '',
        RESULTS_URL: ups[3]!.url,
        WEB_DIST: '',
      },
      logger: createLogger('gateway', 'silent'),
      metrics: createMetrics('gateway'),
    });
    await streaming.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(streaming.server.address() as { port: number }).port}`;
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
