/**
 * The gateway in front of replicated services (issue 18), booted as main.ts boots it, with real
 * node:http servers as the replicas: balancing, a refused call sent to another replica, a call
 * that reached a replica never sent twice, no replica left, WebSocket upgrades, and the metrics.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { after, describe, test } from 'node:test';
import { type App, type BootedService, bootService } from '@onevote/platform';
import { waitFor } from '@onevote/stack';
import { gatewayService } from '../src/service.ts';

/** A replica: answers with its name and what it received; `mode` decides how. */
interface Replica {
  name: string;
  server: Server;
  port: number;
  url: string;
  /** Requests that reached it (health checks, `GET /`, are not counted). */
  seen: { method: string; url: string; body: string; contentType?: string }[];
  mode: 'answer' | 'reset';
  stop(): Promise<void>;
  restart(): Promise<void>;
}

async function replica(name: string): Promise<Replica> {
  const r = { name, seen: [], mode: 'answer' } as unknown as Replica;
  const listen = (port: number) =>
    new Promise<void>((resolve) => {
      r.server = createServer((req, res) => {
        if (req.url === '/') return void res.writeHead(404).end(); // the gateway's health check
        if (req.url?.endsWith('/stream')) {
          r.seen.push({ method: req.method!, url: req.url, body: '' });
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(`event: results\ndata: {"replica":"${name}"}\n\n`);
          return;
        }
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          r.seen.push({ method: req.method!, url: req.url!, body, contentType: req.headers['content-type'] });
          // The request reached this replica, then its connection broke (a replica killed mid-call).
          if (r.mode === 'reset') return void req.socket.destroy();
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ replica: name, length: body.length }));
        });
      });
      r.server.on('upgrade', (req: IncomingMessage, socket) => {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\r\n');
        socket.on('data', (d) => socket.write(`echo:${name}:${d}`));
      });
      r.server.listen(port, '127.0.0.1', () => {
        r.port = (r.server.address() as AddressInfo).port;
        r.url = `http://127.0.0.1:${r.port}`;
        resolve();
      });
    });
  await listen(0);
  // Like kill -9 for the gateway: the port refuses connections and open ones are closed.
  r.stop = () =>
    new Promise<void>((resolve) => {
      r.server.close(() => resolve());
      r.server.closeAllConnections();
    });
  r.restart = () => listen(r.port);
  return r;
}

type Gateway = BootedService<unknown, { app: App }>;
const gateways: Gateway[] = [];
const replicas: Replica[] = [];
after(async () => {
  for (const g of gateways) await g.close();
  for (const r of replicas) if (r.server.listening) await r.stop();
});

async function setUp(n: number, env: Record<string, string> = {}) {
  const list = await Promise.all(Array.from({ length: n }, (_, i) => replica(`v${i + 1}`)));
  replicas.push(...list);
  const gateway = await bootService(gatewayService, {
    env: {
      PORT: '0',
      LOG_LEVEL: 'silent',
      SHUTDOWN_TIMEOUT_MS: '1000',
      VOTE_API_URL: list.map((r) => r.url).join(','),
      BALLOT_URL: list.map((r) => r.url).join(','),
      RESULTS_URL: list.map((r) => r.url).join(', '),
      ...env,
    },
  });
  gateways.push(gateway);
  return { list, gateway };
}

const vote = (gateway: Gateway, body = '{"selections":[]}') =>
  fetch(`${gateway.url}/v1/elections/e1/votes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

/** One series of the gateway's /metrics, by its labels (`replica` is host:port). */
async function metric(gateway: Gateway, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`${gateway.opsUrl}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}

describe('gateway: replicated upstreams (issue 18)', () => {
  test('requests go round robin over the replicas, and the metrics say how many each was given', async () => {
    const { list, gateway } = await setUp(2);
    const answered = [];
    for (let i = 0; i < 10; i++) answered.push(((await (await vote(gateway)).json()) as { replica: string }).replica);
    assert.deepEqual(
      answered.filter((r) => r === 'v1').length,
      5,
      `${answered.join(' ')}: each replica takes every other request`,
    );
    for (const r of list) {
      const host = new URL(r.url).host;
      assert.equal(await metric(gateway, 'gateway_upstream_selected_total', { upstream: 'vote-api', replica: host }), 5);
      assert.equal(await metric(gateway, 'gateway_upstream_healthy', { upstream: 'vote-api', replica: host }), 1);
    }
  });

  test('a POST whose connection is refused goes once to another replica, body intact; the dead one is taken out at once', async () => {
    // Checks far apart: only the refused call can tell the gateway that v2 is gone.
    const { list, gateway } = await setUp(2, { UPSTREAM_CHECK_MS: '60000' });
    const [v1, v2] = list as [Replica, Replica];
    await v2.stop();
    const body = JSON.stringify({ selections: [{ questionId: 'q', optionIds: ['x'.repeat(5000)] }] });
    const answers = await Promise.all([vote(gateway, body), vote(gateway, body)]);
    for (const res of answers) {
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { replica: 'v1', length: body.length });
    }
    assert.equal(v1.seen.length, 2, 'each ballot reached v1 exactly once');
    assert.ok(v1.seen.every((s) => s.body === body));
    const host2 = new URL(v2.url).host;
    assert.equal(await metric(gateway, 'gateway_upstream_healthy', { upstream: 'vote-api', replica: host2 }), 0);
    assert.equal(await metric(gateway, 'gateway_upstream_retries_total', { upstream: 'vote-api' }), 1);
    assert.equal(await metric(gateway, 'gateway_upstream_failures_total', { upstream: 'vote-api', replica: host2, failure: 'not_connected' }), 1);
    // Taken out: the next requests do not even try it.
    for (let i = 0; i < 4; i++) assert.equal((await vote(gateway)).status, 200);
    assert.equal(await metric(gateway, 'gateway_upstream_selected_total', { upstream: 'vote-api', replica: host2 }), 1);
  });

  test('bodies pass on as sent, with their content type or none, chunked or not, and so when retried', async () => {
    const { list, gateway } = await setUp(2, { UPSTREAM_CHECK_MS: '60000' });
    const [v1, v2] = list as [Replica, Replica];
    await v2.stop();
    const encode = (text: string) => new TextEncoder().encode(text);
    const sent: { headers: Record<string, string>; body: () => unknown }[] = [
      { headers: { 'content-type': 'application/json; charset=utf-8' }, body: () => '{"a":1}' },
      { headers: {}, body: () => new Uint8Array([0xff, 0x00, 0x7b]) },
      {
        headers: { 'content-type': 'text/plain' },
        body: () =>
          (async function* () {
            yield encode('chunked, ');
            yield encode('in two');
          })(),
      },
    ];
    for (const { headers, body } of sent) {
      // Two of each: round robin sends one of them to the dead v2 first.
      for (let i = 0; i < 2; i++) {
        const init = { method: 'POST', headers, body: body(), duplex: 'half' };
        assert.equal((await fetch(`${gateway.url}/v1/elections/e1/votes`, init as RequestInit)).status, 200);
      }
    }
    assert.deepEqual(
      v1.seen.map((s) => [s.contentType, s.body]),
      [
        ['application/json; charset=utf-8', '{"a":1}'],
        ['application/json; charset=utf-8', '{"a":1}'],
        [undefined, Buffer.from([0xff, 0x00, 0x7b]).toString()],
        [undefined, Buffer.from([0xff, 0x00, 0x7b]).toString()],
        ['text/plain', 'chunked, in two'],
        ['text/plain', 'chunked, in two'],
      ],
    );
    assert.equal(await metric(gateway, 'gateway_upstream_retries_total', { upstream: 'vote-api' }), 1);
  });

  test('a streamed upload (chunked, 1 MiB) refused by one replica reaches the other whole', async () => {
    const { list, gateway } = await setUp(2, { UPSTREAM_CHECK_MS: '60000' });
    const [v1, v2] = list as [Replica, Replica];
    await v2.stop();
    const line = 'voter@example.org\n';
    const chunk = new TextEncoder().encode(line.repeat(1000));
    const chunks = 59; // just over 1 MiB
    const upload = (body: BodyInit | AsyncIterable<Uint8Array>) =>
      fetch(`${gateway.url}/v1/elections/e1/roll`, {
        method: 'PUT',
        headers: { 'content-type': 'text/csv' },
        body,
        duplex: 'half',
      } as RequestInit);
    // Round robin: a first upload goes to v1, so the streamed one is sent to v2 first.
    assert.equal((await upload(line)).status, 200);
    const res = await upload(
      (async function* () {
        for (let i = 0; i < chunks; i++) yield chunk;
      })(),
    );
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { replica: string }).replica, 'v1');
    const received = v1.seen.filter((s) => s.method === 'PUT').map((s) => s.body.length);
    assert.deepEqual(received, [line.length, chunk.length * chunks], 'every byte of the streamed body, once');
    assert.equal(await metric(gateway, 'gateway_upstream_retries_total', { upstream: 'ballot' }), 1);
  });

  test('a call that reached its replica and then lost the connection is not sent again: 503 with Retry-After', async () => {
    const { list, gateway } = await setUp(2, { UPSTREAM_CHECK_MS: '60000' });
    const [v1, v2] = list as [Replica, Replica];
    v1.mode = 'reset';
    v2.mode = 'reset';
    const res = await vote(gateway);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(((await res.json()) as { code: string }).code, 'unavailable');
    assert.equal(v1.seen.length + v2.seen.length, 1, 'the ballot reached one replica, once');
    const reset = list.find((r) => r.seen.length === 1)!;
    assert.equal(await metric(gateway, 'gateway_upstream_failures_total', { upstream: 'vote-api', replica: new URL(reset.url).host, failure: 'reset' }), 1);
    assert.equal(await metric(gateway, 'gateway_upstream_retries_total', { upstream: 'vote-api' }), undefined);
  });

  test('no replica left: 503 problem+json with Retry-After at once, the gateway not ready; both come back with their replicas', async () => {
    const { list, gateway } = await setUp(2, { UPSTREAM_CHECK_MS: '50' });
    for (const r of list) await r.stop();
    await waitFor('the gateway to be not ready', async () => (await fetch(`${gateway.opsUrl}/readyz`)).status === 503, {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    const res = await vote(gateway);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    const problem = (await res.json()) as { code: string; detail: string };
    assert.equal(problem.code, 'unavailable');
    assert.match(problem.detail, /No replica of the vote-api service is reachable/);

    await list[1]!.restart();
    await waitFor('the gateway to be ready again', async () => (await fetch(`${gateway.opsUrl}/readyz`)).status === 200, {
      timeoutMs: 5000,
      intervalMs: 20,
    });
    assert.equal(((await (await vote(gateway)).json()) as { replica: string }).replica, 'v2');
  });

  test('result streams are balanced too, and a WebSocket upgrade refused by one replica is tunnelled to the other', async () => {
    const { list, gateway } = await setUp(2, { UPSTREAM_CHECK_MS: '60000' });
    const streamed = [];
    for (let i = 0; i < 2; i++) {
      const controller = new AbortController();
      const res = await fetch(`${gateway.url}/v1/elections/e1/results/stream`, { signal: controller.signal });
      const { value } = await res.body!.getReader().read();
      streamed.push(/"replica":"(v\d)"/.exec(new TextDecoder().decode(value))![1]);
      controller.abort();
    }
    assert.deepEqual(streamed.sort(), ['v1', 'v2']);

    await list[1]!.stop();
    for (let i = 0; i < 2; i++) {
      const socket = connect(Number(new URL(gateway.url).port), '127.0.0.1');
      socket.write('GET /v1/elections/e1/results/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nping');
      let received = '';
      await new Promise<void>((resolve, reject) => {
        socket.on('data', (d) => {
          received += d;
          if (received.includes('echo:')) resolve();
        });
        socket.on('close', () => reject(new Error(`closed: ${received}`)));
      });
      assert.match(received, /101 Switching Protocols/);
      assert.match(received, /echo:v1:ping/);
      socket.destroy();
    }
    assert.equal(await metric(gateway, 'gateway_upstream_retries_total', { upstream: 'results' }), 1);
  });
});
