/**
 * The balancer and its health checks against real HTTP servers (node:http in this process): round
 * robin over the healthy replicas, a replica taken out when its server is gone, hung or failing,
 * and brought back when it serves again.
 */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { createLogger, createMetrics } from '@onevote/platform';
import { waitFor } from '@onevote/stack';
import { Replica, ReplicaSet } from '../src/upstreams/replicas.ts';
import { Upstreams } from '../src/upstreams/upstreams.ts';

/** A real server whose answer to the health checks the test decides. */
interface Backend {
  server: Server;
  port: number;
  url: string;
  checks: number;
  answer: (res: ServerResponse) => void;
  stop(): Promise<void>;
  /** Listens again on the same port. */
  restart(): Promise<void>;
}

async function backend(): Promise<Backend> {
  const b = {
    checks: 0,
    answer: (res: ServerResponse) => res.writeHead(404).end(),
  } as unknown as Backend;
  const listen = (port: number) =>
    new Promise<void>((resolve) => {
      b.server = createServer((req, res) => {
        b.checks++;
        b.answer(res);
      });
      b.server.listen(port, '127.0.0.1', () => {
        b.port = (b.server.address() as AddressInfo).port;
        b.url = `http://127.0.0.1:${b.port}`;
        resolve();
      });
    });
  await listen(0);
  b.stop = () =>
    new Promise<void>((resolve) => {
      b.server.close(() => resolve());
      b.server.closeAllConnections();
    });
  b.restart = () => listen(b.port);
  return b;
}

const logger = createLogger('gateway-test', 'silent');
const started: Upstreams[] = [];
const backends: Backend[] = [];
after(async () => {
  for (const u of started) await u.stop();
  for (const b of backends) if (b.server.listening) await b.stop();
});

async function upstreamsOf(urls: string[], checks = { intervalMs: 50, timeoutMs: 200 }) {
  const upstreams = new Upstreams(
    { identity: [], ballot: [], 'vote-api': urls, results: [], audit: [] },
    { logger, metrics: createMetrics('gateway-test'), checks },
  );
  await upstreams.start();
  started.push(upstreams);
  return { upstreams, set: upstreams.sets['vote-api']! };
}

async function backendsOf(n: number) {
  const list = await Promise.all(Array.from({ length: n }, backend));
  backends.push(...list);
  return list;
}

describe('round robin over the healthy replicas', () => {
  test('requests take the replicas in turn, skip one that is out, and count what each was given', () => {
    const replicas = ['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:3'].map((o) => new Replica('x', o, logger));
    for (const r of replicas) r.checkPassed(performance.now());
    const set = new ReplicaSet('x', replicas);
    const order = Array.from({ length: 6 }, () => set.pick()!.label);
    assert.deepEqual(order, ['127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3', '127.0.0.1:1', '127.0.0.1:2', '127.0.0.1:3']);
    replicas[1]!.markDown('refused');
    assert.deepEqual(
      Array.from({ length: 4 }, () => set.pick()!.label),
      ['127.0.0.1:1', '127.0.0.1:3', '127.0.0.1:1', '127.0.0.1:3'],
    );
    assert.equal(set.pick(replicas[0])!.label, '127.0.0.1:3', 'a retry never goes back to the replica that failed');
    assert.deepEqual(
      replicas.map((r) => r.selected),
      [4, 2, 5],
    );
    for (const r of replicas) r.markDown('refused');
    assert.equal(set.pick(), undefined, 'no healthy replica: nothing to pick');
  });

  test('a health check already on its way when a request found the replica dead does not bring it back', () => {
    const replica = new Replica('x', 'http://127.0.0.1:1', logger);
    const checkStarted = performance.now();
    replica.checkPassed(checkStarted);
    replica.markDown('reset');
    replica.checkPassed(checkStarted); // the answer of that earlier check arrives now
    assert.equal(replica.healthy, false);
    replica.checkPassed(performance.now());
    assert.equal(replica.healthy, true, 'a check that started after the failure does');
  });
});

describe('active health checks (real servers)', () => {
  test('a replica is in the rotation once its first check passed; one whose server stops is taken out within the interval, and back when it listens again', async () => {
    const [a, b] = await backendsOf(2);
    const { set } = await upstreamsOf([a!.url, b!.url]);
    assert.deepEqual(
      set.replicas.map((r) => r.healthy),
      [true, true],
      'start() ran one round of checks',
    );
    const stoppedAt = performance.now();
    await b!.stop();
    await waitFor('b to be taken out', () => !set.replicas[1]!.healthy, { timeoutMs: 5000, intervalMs: 5 });
    const tookMs = performance.now() - stoppedAt;
    // Checks every 50 ms, and a refused connection takes it out at the first one: well under a second.
    assert.ok(tookMs < 1000, `taken out after ${tookMs.toFixed(0)} ms`);
    assert.equal(set.replicas[0]!.healthy, true);
    assert.equal(set.pick()!.label, set.replicas[0]!.label);
    assert.equal(set.pick()!.label, set.replicas[0]!.label, 'the stopped replica gets nothing');

    await b!.restart();
    await waitFor('b to be back', () => set.replicas[1]!.healthy, { timeoutMs: 5000, intervalMs: 5 });
    const picked = new Set([set.pick()!.label, set.pick()!.label]);
    assert.equal(picked.size, 2, 'both replicas take requests again');
  });

  test('one check answered 5xx leaves the replica in; two in a row take it out; a 4xx is an answer like any other', async () => {
    const [a] = await backendsOf(1);
    const { set } = await upstreamsOf([a!.url]);
    const replica = set.replicas[0]!;
    // Counts the times it is taken out: it could be back by the next check, 50 ms later.
    let takenOut = 0;
    const markDown = replica.markDown.bind(replica);
    replica.markDown = (reason) => {
      takenOut++;
      markDown(reason);
    };
    // One 503, then the usual 404 again.
    let failNext = 1;
    a!.answer = (res) => {
      if (failNext > 0) {
        failNext--;
        res.writeHead(503).end();
      } else res.writeHead(404).end();
    };
    const seen = a!.checks;
    await waitFor('two more checks after the 503', () => a!.checks >= seen + 3, { timeoutMs: 5000, intervalMs: 5 });
    assert.equal(takenOut, 0, 'a single 5xx does not take a replica out');
    assert.equal(replica.healthy, true);

    // Fastify answers 503 to every request while a server drains: two checks and it is out.
    a!.answer = (res) => res.writeHead(503).end();
    await waitFor('the draining replica to be taken out', () => !replica.healthy, { timeoutMs: 5000, intervalMs: 5 });
    assert.equal(takenOut, 1);
    a!.answer = (res) => res.writeHead(404).end();
    await waitFor('the replica to be back', () => replica.healthy, { timeoutMs: 5000, intervalMs: 5 });
  });

  test('a replica that accepts connections but never answers (hung) is taken out after two timeouts', async () => {
    const [a, b] = await backendsOf(2);
    // A timeout a busy machine's healthy replica (a) answers well within.
    const { set } = await upstreamsOf([a!.url, b!.url], { intervalMs: 50, timeoutMs: 300 });
    const hungAt = performance.now();
    b!.answer = () => {}; // never answers
    await waitFor('the hung replica to be taken out', () => !set.replicas[1]!.healthy, { timeoutMs: 5000, intervalMs: 5 });
    const tookMs = performance.now() - hungAt;
    // The second failed check started after the hang and waited its whole timeout: not sooner.
    assert.ok(tookMs >= 300, `taken out after ${tookMs.toFixed(0)} ms, before two timeouts`);
    assert.equal(set.replicas[0]!.healthy, true);
  });

  test('readiness: failing only when every replica of a deployed upstream is out', async () => {
    const [a, b] = await backendsOf(2);
    const { upstreams, set } = await upstreamsOf([a!.url, b!.url]);
    const [check] = upstreams.readiness();
    assert.equal(check!.name, 'vote-api');
    await check!.check();
    await a!.stop();
    await waitFor('a out', () => !set.replicas[0]!.healthy, { timeoutMs: 5000, intervalMs: 5 });
    await check!.check(); // one replica left is enough
    await b!.stop();
    await waitFor('b out', () => !set.replicas[1]!.healthy, { timeoutMs: 5000, intervalMs: 5 });
    await assert.rejects(check!.check(), /none of its 2 replicas is healthy/);
    await a!.restart();
    await waitFor('a back', () => set.replicas[0]!.healthy, { timeoutMs: 5000, intervalMs: 5 });
    await check!.check();
  });
});
