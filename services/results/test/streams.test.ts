import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { anElection, metricValue, ResultsWorld, SseClient, waitFor } from './harness.ts';

/** An election whose frames are large (~300 KB), so a client that does not read falls behind fast. */
function aLargeElection() {
  const label = 'x'.repeat(200);
  return anElection({
    questions: Array.from({ length: 20 }, (_, q) => ({
      id: randomUUID(),
      title: `Question ${q}`,
      minSelections: 1,
      maxSelections: 1,
      options: Array.from({ length: 50 }, (_, o) => ({ id: randomUUID(), label: `${label}${o}` })),
    })),
  });
}

describe('result streams under load', () => {
  let world: ResultsWorld;

  before(async () => {
    world = await ResultsWorld.start();
  });
  after(() => world.stop());

  test('a client that never reads is disconnected once its unread bytes pass the bound', async () => {
    // Frames every 10 ms instead of 200 ms only to fill the kernel's socket buffers quickly.
    const { url, opsUrl } = await world.startResults({ FRAME_INTERVAL_MS: 10, MAX_CLIENT_BUFFER_BYTES: 256 * 1024 });
    const election = aLargeElection();
    await world.publish(election);
    const path = `/v1/elections/${election.id}/results/stream`;
    await waitFor('results knows the election', async () => {
      const res = await fetch(`${url}/v1/elections/${election.id}/results`);
      return res.ok;
    });

    const reader = await SseClient.open(`${url}${path}`);
    const { port } = new URL(url);
    const stalled = connect(Number(port), '127.0.0.1');
    stalled.on('error', () => {});
    await new Promise((resolve) => stalled.once('connect', resolve));
    stalled.write(`GET ${path} HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: text/event-stream\r\n\r\n`);
    stalled.pause(); // never reads a byte

    try {
      await waitFor('both streams are open', async () => {
        return (await metricValue(opsUrl, 'results_connections_open', 'transport="sse"')) === 2;
      });
      let ballots = 0;
      await waitFor(
        'the stalled client is cut off',
        async () => {
          ballots++;
          await world.countBallots(election, [ballots % 50]);
          return (await metricValue(opsUrl, 'results_slow_clients_disconnected_total', 'transport="sse"')) === 1;
        },
        { timeoutMs: 60_000, intervalMs: 5 },
      );
      assert.equal(await metricValue(opsUrl, 'results_connections_open', 'transport="sse"'), 1);
      // The client that reads keeps up and sees every ballot.
      await waitFor('the reader sees every ballot', () => reader.latest().totalBallots === ballots);
      assert.equal(reader.closed, false);
    } finally {
      reader.close();
      stalled.destroy();
    }
  });

  test('two replicas, each subscribed on its own, converge on the same frames (same id, same tally)', async () => {
    const a = await world.startResults();
    const b = await world.startResults();
    const election = anElection();
    await world.publish(election);
    const path = `/v1/elections/${election.id}/results/stream`;
    for (const { url } of [a, b]) {
      await waitFor(
        'replica knows the election',
        async () => (await fetch(`${url}/v1/elections/${election.id}/results`)).ok,
      );
    }
    const sa = await SseClient.open(`${a.url}${path}`);
    const sb = await SseClient.open(`${b.url}${path}`);
    try {
      for (let i = 0; i < 10; i++) await world.countBallots(election, [i % 2, 1]);
      await waitFor(
        'both replicas show 20 ballots',
        () => sa.latest().totalBallots === 20 && sb.latest().totalBallots === 20,
      );
      assert.equal(sa.frames.at(-1)!.id, sb.frames.at(-1)!.id);
      assert.deepEqual({ ...sa.latest(), asOf: 0 }, { ...sb.latest(), asOf: 0 });
    } finally {
      sa.close();
      sb.close();
    }
  });

  test('500 concurrent SSE clients each get the first frame and every change', async () => {
    const { url, opsUrl } = await world.startResults();
    const election = anElection();
    await world.publish(election);
    const path = `${url}/v1/elections/${election.id}/results/stream`;
    await waitFor(
      'results knows the election',
      async () => (await fetch(`${url}/v1/elections/${election.id}/results`)).ok,
    );
    const clients: SseClient[] = [];
    try {
      for (let i = 0; i < 500; i += 50) {
        clients.push(...(await Promise.all(Array.from({ length: 50 }, () => SseClient.open(path)))));
      }
      await waitFor('every client has the first frame', () => clients.every((c) => c.frames.length >= 1));
      assert.equal(await metricValue(opsUrl, 'results_connections_open', 'transport="sse"'), 500);
      await world.countBallots(election, [0, 1, 1]);
      await waitFor(
        'every client has the change',
        () => clients.every((c) => c.latest().totalBallots === 3),
        {
          timeoutMs: 10_000,
        },
      );
    } finally {
      for (const c of clients) c.close();
    }
  });

  test('shutdown ends open SSE and WebSocket streams, including one that does not read', async () => {
    const { app, url, opsUrl } = await world.startResults();
    const election = anElection();
    await world.publish(election);
    await waitFor(
      'results knows the election',
      async () => (await fetch(`${url}/v1/elections/${election.id}/results`)).ok,
    );
    const sse = await SseClient.open(`${url}/v1/elections/${election.id}/results/stream`);
    const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/elections/${election.id}/results/ws`);
    const wsClosed = new Promise((resolve) => ws.once('close', resolve));
    await new Promise((resolve) => ws.once('message', resolve));
    const stalled = connect(Number(new URL(url).port), '127.0.0.1');
    stalled.on('error', () => {});
    stalled.write(`GET /v1/elections/${election.id}/results/stream HTTP/1.1\r\nhost: x\r\n\r\n`);
    stalled.pause();
    await waitFor('3 streams open', async () => {
      const text = await (await fetch(`${opsUrl}/metrics`)).text();
      return (
        /results_connections_open\{[^}]*transport="sse"[^}]*\} 2/.test(text) &&
        /transport="ws"[^}]*\} 1/.test(text)
      );
    });

    await app.close();
    await wsClosed;
    await waitFor('the SSE client sees the end', () => sse.closed);
    stalled.destroy();
  });
});
