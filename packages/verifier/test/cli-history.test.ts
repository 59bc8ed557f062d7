// The state file: a later head must extend every head seen before. Each case is a log that is
// correct on its own (signed, root recomputed) but not the continuation of the one seen earlier.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anElectionLog } from './support/elections.ts';
import { anEs256Signer, type LogServer, type ServedLog, startLogServer } from './support/log-server.ts';
import { runVerifier, temporaryDirectory } from './support/run-verifier.ts';

const signer = anEs256Signer('k1');
// anElectionLog adds two event leaves: 38 ballots make a log of 40 entries, 50 ballots 52.
const logOf = (ballots: number, change?: (leaves: string[]) => void): ServedLog => {
  const election = anElectionLog({ ballots });
  change?.(election.leaves);
  return { ...election, signer };
};
const rewrite = (leaves: string[]) => {
  leaves[5] = leaves[5]!.replace('"optionIds":["o', '"optionIds":["o3","o');
};

describe('onevote-verify and the heads it saw before', () => {
  let server: LogServer;
  const temp = temporaryDirectory();
  let n = 0;

  before(async () => {
    server = await startLogServer(logOf(38));
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  /** Verifies `first`, then `second`, with one state file; returns the second run and the sizes remembered. */
  async function twoRuns(first: ServedLog, second: ServedLog) {
    const state = join(temp.dir, `state-${n++}.json`);
    const args = ['--url', server.url, '--election', 'el_audit', '--state', state];
    server.setLog(first);
    const firstRun = await runVerifier(args);
    assert.equal(firstRun.code, 0, firstRun.stdout + firstRun.stderr);
    server.setLog(second);
    const run = await runVerifier(args);
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { logs: Record<string, Record<string, { treeSize: number }[]>> };
    return { run, remembered: saved.logs[server.url]!.el_audit!.map((head) => head.treeSize) };
  }

  function assertFails(run: { code: number | null; stdout: string; stderr: string }, failure: string) {
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.ok(run.stdout.includes(`FAIL consistency: ${failure}\n`), run.stdout);
    assert.equal(run.stderr.trim(), `onevote-verify: FAILED: ${failure}`);
  }

  it('a log that only grew passes, and both heads are remembered', async () => {
    const { run, remembered } = await twoRuns(logOf(38), logOf(50));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS consistency: consistent with the 1 head seen before \(size 40\)/);
    assert.deepEqual(remembered, [40, 52]);
  });

  it('history rewritten under a later head: the consistency proof does not verify, and the new head is not remembered', async () => {
    const { run, remembered } = await twoRuns(logOf(38), logOf(50, rewrite));
    assertFails(run, 'consistency proof from size 40 to 52 does not verify');
    assert.deepEqual(remembered, [40]);
  });

  it('a log that shrank', async () => {
    const { run, remembered } = await twoRuns(logOf(50), logOf(38));
    assertFails(run, `the log shrank: a head of size 52 was seen before (seen ${seenAt(run.stdout)}), this head has size 40`);
    assert.deepEqual(remembered, [52]);
  });

  it('a head of the same size with another root', async () => {
    const { run } = await twoRuns(logOf(38), logOf(38, rewrite));
    assertFails(run, `a head of the same size 40 with another root was seen before (seen ${seenAt(run.stdout)}): the history was rewritten`);
  });

  it('refuses a state file it cannot read (exit 2) and leaves it as it was', async () => {
    const state = join(temp.dir, `state-${n++}.json`);
    writeFileSync(state, '{"version":1,"logs":');
    server.setLog(logOf(38));
    const run = await runVerifier(['--url', server.url, '--election', 'el_audit', '--state', state]);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.equal(run.stderr.trim(), `onevote-verify: the state file ${state} is not JSON; move it away to start afresh`);
    assert.equal(readFileSync(state, 'utf8'), '{"version":1,"logs":');
  });

  it('checks consistency from every head seen before, not only the latest', async () => {
    const state = join(temp.dir, `state-${n++}.json`);
    const args = ['--url', server.url, '--election', 'el_audit', '--state', state];
    for (const ballots of [38, 44]) {
      server.setLog(logOf(ballots));
      assert.equal((await runVerifier(args)).code, 0);
    }
    server.setLog(logOf(50));
    const run = await runVerifier(args);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS consistency: consistent with the 2 heads seen before \(sizes 40, 46\)/);
    const asked = server.requests.filter((r) => r.includes('/log/consistency')).slice(-2);
    assert.deepEqual(asked, ['/v1/elections/el_audit/log/consistency?from=40&to=52', '/v1/elections/el_audit/log/consistency?from=46&to=52']);
  });

  it('a consistency proof for another range than the one asked for', async () => {
    const lying: ServedLog = { ...logOf(50), alterConsistency: (proof) => ({ ...proof, from: proof.from - 1 }) };
    const { run } = await twoRuns(logOf(38), lying);
    assertFails(run, 'asked for a consistency proof from size 40 to 52, got one from 39 to 52');
  });

  it('a consistency proof with one hash changed', async () => {
    const lying: ServedLog = {
      ...logOf(50),
      alterConsistency: (proof) => ({ ...proof, proof: proof.proof.map((hash, i) => (i === 0 ? proof.proof[1]! : hash)) }),
    };
    const { run } = await twoRuns(logOf(38), lying);
    assertFails(run, 'consistency proof from size 40 to 52 does not verify');
  });
});

function seenAt(stdout: string): string {
  return /\(seen ([^)]+)\)/.exec(stdout)?.[1] ?? 'no seenAt in the output';
}
