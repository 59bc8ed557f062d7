/** What every fault scenario asserts, and small tools the scenarios share. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { killChildrenOnSignal, repoRoot } from '@onevote/stack';
import { runScenario, type ScenarioOptions } from './scenario.ts';

const outDir = join(repoRoot, 'tools', 'chaos', 'test-output');

// The scenarios start their own servers; a runner timeout must not leave them behind.
killChildrenOnSignal();

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a scenario, records its figures in test-output/reliability.jsonl (for docs/reliability.md)
 * and asserts I1-I3, no 5xx but 503, and a definite answer for every ballot.
 */
export async function scenario(options: ScenarioOptions) {
  mkdirSync(outDir, { recursive: true });
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

export function redisFlushAll(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write('FLUSHALL\r\n'));
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

/**
 * An SSE client that reconnects like a browser's EventSource and records each total it sees (and
 * when), and how many times it connected (`connections.length`, each with the time its first frame came).
 */
export function readTotals(url: string) {
  const totals: number[] = [];
  const times: number[] = [];
  const connections: { at: number; firstFrameAt?: number }[] = [];
  const controller = new AbortController();
  void (async () => {
    while (!controller.signal.aborted) {
      try {
        const connection: { at: number; firstFrameAt?: number } = { at: Date.now() };
        connections.push(connection);
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
            if (data) {
              totals.push((JSON.parse(data.slice(5)) as { totalBallots: number }).totalBallots);
              times.push(Date.now());
              connection.firstFrameAt ??= Date.now();
            }
          }
        }
      } catch {
        // reconnect below
      }
      if (!controller.signal.aborted) await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return { totals, times, connections, stop: () => controller.abort() };
}
