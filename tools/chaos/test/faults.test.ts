/**
 * Issue 9: each fault under load, then invariants I1-I3 from PostgreSQL, no 5xx but 503, and every
 * service serving again within 10 s of the fault ending. Each scenario has its own servers.
 * Figures go to test-output/reliability.jsonl for docs/reliability.md.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort, ManagedProcess, repoRoot, spawnService, waitFor, waitReady } from '@onevote/stack';
import postgres from 'postgres';
import { runScenario, type ScenarioOptions } from '../src/index.ts';

const outDir = join(repoRoot, 'tools', 'chaos', 'test-output');
mkdirSync(outDir, { recursive: true });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function scenario(options: ScenarioOptions) {
  const result = await runScenario(options);
  const { verification: _v, load: _l, ...row } = result;
  appendFileSync(join(outDir, 'reliability.jsonl'), `${JSON.stringify({ at: new Date().toISOString(), ...row })}\n`);
  // I1: every acknowledged ballot is stored; I2 and I3: once, and tallied exactly.
  assert.equal(result.lost, 0, 'acknowledged ballots missing from PostgreSQL');
  assert.equal(result.doubleCounted, 0, 'ballots or tallies counted twice');
  assert.equal(result.undercounted, 0, 'tallies below the ballot rows');
  assert.equal(result.wrongVoter, 0, 'a receipt stored under another voter');
  assert.equal(result.contractViolations, 0, 'a retry or duplicate got an answer the API does not allow');
  assert.equal(result.serverErrors, 0, `5xx other than 503: ${JSON.stringify(result.errors)}`);
  assert.equal(result.unsettled, 0, 'ballots left without a definite answer');
  assert.ok(result.acknowledged > 0, 'the load counted nothing');
  return result;
}

function redisFlushAll(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('FLUSHALL\r\n'));
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

describe('faults under load (I1-I3 hold, 503 only, recovery within 10 s)', { concurrency: false }, () => {
  test('1. vote-api killed with -9 mid-load and started again; clients retry with the same key', async () => {
    await scenario({
      name: 'vote-api kill -9, restarted',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.services.get('vote-api')!.process.kill();
        await stack.restart('vote-api');
      },
    });
  });

  test('2. two vote-api replicas, one killed with -9: the other keeps serving', async () => {
    let second: ManagedProcess | undefined;
    let secondUrl = '';
    let killedAt = 0;
    const result = await scenario({
      name: 'one of two vote-api replicas kill -9',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      prepare: async ({ stack }) => {
        const first = stack.services.get('vote-api')!;
        const port = await freePort();
        second = spawnService(first.def, { ...first.env, PORT: String(port) }, join(repoRoot, 'tools', 'chaos', 'test-output', 'vote-api-2.log'));
        secondUrl = `http://127.0.0.1:${port}`;
        await waitReady('vote-api replica 2', port, second);
      },
      targets: ({ stack }) => [stack.services.get('vote-api')!.url, secondUrl],
      fault: async () => {
        killedAt = Date.now();
        await second!.kill();
      },
      mustRecover: ({ stack }) => [{ name: 'vote-api', url: stack.services.get('vote-api')!.url }],
      check: async (_ctx, state) => {
        assert.ok(state.countedAt.filter((t) => t > killedAt + 1000).length > 0, 'no ballot counted after the kill');
      },
    });
    assert.ok(result.acknowledged > 0);
  });

  test('3. PostgreSQL stopped for 10 s mid-load: fast 503s, then recovery without restarts', async () => {
    const result = await scenario({
      name: 'PostgreSQL stopped 10 s',
      loadSeconds: 17,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.infra.servers.postgres!.stop();
        await sleep(10_000);
        await stack.infra.servers.postgres!.start();
      },
    });
    assert.ok((result.errors['503'] ?? 0) > 0, 'the outage was not seen as 503s');
  });

  test('4. PostgreSQL killed with -9 mid-load (crash recovery)', async () => {
    await scenario({
      name: 'PostgreSQL kill -9, restarted',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.infra.servers.postgres!.kill();
        await stack.infra.servers.postgres!.start();
      },
    });
  });

  test('5. Redis flushed, then restarted, mid-load', async () => {
    await scenario({
      name: 'Redis FLUSHALL then restart',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        const redis = stack.infra.servers.redis!;
        await redisFlushAll(redis.port);
        await sleep(1000);
        await redis.stop();
        await redis.start();
      },
    });
  });

  test('6. NATS restarted mid-load: config watchers and results recover', async () => {
    await scenario({
      name: 'NATS restart',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      fault: async ({ stack }) => {
        await stack.infra.servers.nats!.stop();
        await stack.infra.servers.nats!.start();
      },
      check: async ({ stack, election }, state) => {
        // Results caught up with every counted ballot after the restart (notifications or re-read).
        await waitFor(
          'results to show every counted ballot',
          async () => {
            const body = (await (await fetch(`${stack.gatewayUrl}/v1/elections/${election.id}/results`)).json()) as { totalBallots: number };
            return body.totalBallots === state.receipts.size;
          },
          { timeoutMs: 10_000 },
        );
      },
    });
  });

  test('7. results killed: SSE clients reconnect and the totals are right', async () => {
    let frames: number[] = [];
    let stopReading = () => {};
    await scenario({
      name: 'results kill -9, restarted',
      loadSeconds: 10,
      faultAt: 3,
      rate: 150,
      prepare: async ({ stack, election }) => {
        const sse = readTotals(`${stack.gatewayUrl}/v1/elections/${election.id}/results/stream`);
        frames = sse.totals;
        stopReading = sse.stop;
      },
      fault: async ({ stack }) => {
        await stack.services.get('results')!.process.kill();
        await stack.restart('results');
      },
      check: async (_ctx, state) => {
        await waitFor('the reconnected SSE client to show every counted ballot', () => frames.at(-1) === state.receipts.size, {
          timeoutMs: 10_000,
        });
        stopReading();
      },
    });
  });

  test('8. PostgreSQL made slow (a held lock): the bounded queue answers 503, not timeouts', async () => {
    const result = await scenario({
      name: 'PostgreSQL slow (tallies locked 6 s)',
      loadSeconds: 12,
      faultAt: 3,
      rate: 150,
      fault: async ({ adminUrl }) => {
        const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
        await sql.begin(async (tx) => {
          await tx`lock table votes.tallies in access exclusive mode`;
          await sleep(6000);
        });
        await sql.end();
      },
    });
    assert.ok((result.errors['503'] ?? 0) > 0, 'the slow database was not answered with 503s');
  });
});

/** An SSE client that reconnects like a browser's EventSource and records each total it sees. */
function readTotals(url: string) {
  const totals: number[] = [];
  const controller = new AbortController();
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const data = buffer.slice(0, end).split('\n').find((l) => l.startsWith('data:'));
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            if (data) totals.push((JSON.parse(data.slice(5)) as { totalBallots: number }).totalBallots);
          }
        }
      } catch {
        // reconnect below
      }
      if (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { totals, stop: () => controller.abort() };
}
