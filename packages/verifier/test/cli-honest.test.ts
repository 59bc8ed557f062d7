// The CLI against an honest log: every check passes and says what it checked.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anElectionLog, receiptOf } from './support/elections.ts';
import { ballotHash } from './support/leaves.ts';
import { anEd25519Signer, anEs256Signer, type LogServer, resultsOf, type ServedLog, startLogServer } from './support/log-server.ts';
import { runVerifier, temporaryDirectory } from './support/run-verifier.ts';

const signer = anEs256Signer('k2');
// 2,345 ballots: three pages of entries at the contract's 1,000 per call.
const election = anElectionLog({ ballots: 2345, voided: [12, 2000] });
const honest: ServedLog = { ...election, signer, final: true };

describe('onevote-verify against an honest log', () => {
  let server: LogServer;
  const temp = temporaryDirectory();
  let n = 0;
  const stateFile = () => join(temp.dir, `state-${n++}.json`);
  const args = (...extra: string[]) => ['--url', server.url, '--election', election.electionId, ...extra];

  before(async () => {
    server = await startLogServer(honest);
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  it('passes every check (exit 0), one line each, and remembers the head in the state file', async () => {
    server.setLog(honest);
    const state = stateFile();
    const run = await runVerifier(args('--state', state));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const lines = run.stdout.trim().split('\n');
    const size = election.leaves.length;
    assert.deepEqual(lines.map((line) => line.split(':')[0]), [
      'PASS keys',
      'PASS head',
      'PASS entries',
      'PASS root',
      'INFO consistency',
      'PASS leaves',
      'PASS tally',
      'INFO state',
      'OK',
    ]);
    assert.match(run.stdout, new RegExp(`PASS head: size ${size}, root .*, 2025-06-01T10:00:01.250Z, signed by k2 \\(ES256\\), final`));
    assert.match(run.stdout, new RegExp(`PASS entries: ${size} entries in 3 pages, leafIndex 0..${size - 1} contiguous`));
    assert.match(run.stdout, /PASS leaves: 2345 ballots \(2 voided\), 2 events, 0 of other kinds/);
    const results = resultsOf(honest);
    const q1 = results.questions[0]!.options.map((o) => `${o.optionId} ${o.votes}`).join(', ');
    assert.match(run.stdout, new RegExp(`PASS tally: the log's tally equals the results: 2343 ballots; q1: ${q1}`));
    assert.equal(run.stderr, '');

    const saved = JSON.parse(readFileSync(state, 'utf8')) as { logs: Record<string, Record<string, { treeSize: number; rootHash: string }[]>> };
    assert.deepEqual(
      saved.logs[server.url]![election.electionId]!.map((h) => [h.treeSize, h.rootHash]),
      [[size, server.head().rootHash]],
    );
    // Pages of at most 1,000, asked for in order.
    const pages = server.requests.filter((r) => r.includes('/log/entries'));
    assert.deepEqual(pages.slice(-3), [
      `/v1/elections/${election.electionId}/log/entries?start=0&end=1000`,
      `/v1/elections/${election.electionId}/log/entries?start=1000&end=2000`,
      `/v1/elections/${election.electionId}/log/entries?start=2000&end=${size}`,
    ]);
  });

  it('with --receipt, checks that ballot inclusion proof against the head and says it is counted', async () => {
    server.setLog(honest);
    const run = await runVerifier(args('--state', stateFile(), '--receipt', receiptOf(77)));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    // Two events come first, so ballot 77 is entry 79.
    assert.match(run.stdout, new RegExp(`PASS receipt: ballot ${ballotHash(receiptOf(77))} is entry 79; its inclusion proof leads to the signed root`));
    assert.match(run.stdout, /INFO receipt: the ballot is not voided: it is in the tally/);
    assert.ok(server.requests.includes(`/v1/elections/${election.electionId}/log/proof?receiptId=${receiptOf(77)}&treeSize=${election.leaves.length}`));
    assert.doesNotMatch(run.stdout, new RegExp(receiptOf(77)), 'the receipt id itself is not printed');
  });

  it('with --receipt of a voided ballot, passes and reports the void', async () => {
    server.setLog(honest);
    const run = await runVerifier(args('--state', stateFile(), '--receipt', receiptOf(2000)));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS receipt: ballot .* is entry 2002;/);
    assert.match(run.stdout, new RegExp(`INFO receipt: the ballot was voided by entry ${election.leaves.length - 1} \\(reason: fraud review\\)`));
  });

  it('--json prints one JSON object with the checks, the head, the tally and the receipt', async () => {
    server.setLog(honest);
    const run = await runVerifier(args('--state', stateFile(), '--receipt', receiptOf(5), '--json'));
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as {
      ok: boolean;
      exitCode: number;
      failure: string | null;
      head: unknown;
      checks: { name: string; status: string }[];
      tally: { totalBallots: number; questions: { questionId: string; options: { optionId: string; votes: number }[] }[] };
      receipt: unknown;
      state: { remembered: boolean };
    };
    assert.equal(report.ok, true);
    assert.equal(report.exitCode, 0);
    assert.equal(report.failure, null);
    assert.deepEqual(report.head, server.head());
    assert.deepEqual(
      report.checks.map((c) => `${c.status} ${c.name}`),
      ['pass keys', 'pass head', 'pass entries', 'pass root', 'info consistency', 'pass leaves', 'pass tally', 'pass receipt', 'info receipt'],
    );
    const expected = resultsOf(honest);
    assert.equal(report.tally.totalBallots, expected.totalBallots);
    for (const question of expected.questions) {
      const fromLog = report.tally.questions.find((q) => q.questionId === question.questionId);
      for (const option of question.options) {
        assert.equal(fromLog?.options.find((o) => o.optionId === option.optionId)?.votes ?? 0, option.votes, option.optionId);
      }
    }
    assert.deepEqual(report.receipt, { ballotHash: ballotHash(receiptOf(5)), leafIndex: 7 });
    assert.equal(report.state.remembered, true);
  });

  it('accepts Ed25519 keys, and a head signed by a retired key that is still listed', async () => {
    const retired = anEd25519Signer('k0');
    server.setLog({ ...honest, signer: retired, keys: [anEd25519Signer('k1'), retired] });
    const run = await runVerifier(args('--state', stateFile(), '--receipt', receiptOf(1)));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS keys: 2 tree-head keys listed: k1 \(EdDSA\), k0 \(EdDSA\)/);
    assert.match(run.stdout, /signed by k0 \(Ed25519\), final/);
  });

  it('a second run checks the grown log against the head remembered from the first', async () => {
    const state = stateFile();
    const small = anElectionLog({ ballots: 40 });
    const grown = anElectionLog({ ballots: 52 });
    server.setLog({ ...small, signer });
    assert.equal((await runVerifier(args('--state', state))).code, 0);
    server.setLog({ ...grown, signer, final: false });
    const run = await runVerifier(args('--state', state));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS consistency: consistent with the 1 head seen before \(size 42\)/);
    assert.ok(server.requests.includes(`/v1/elections/${election.electionId}/log/consistency?from=42&to=54`));
    const saved = JSON.parse(readFileSync(state, 'utf8')) as { logs: Record<string, Record<string, { treeSize: number }[]>> };
    assert.deepEqual(saved.logs[server.url]![election.electionId]!.map((h) => h.treeSize), [42, 54]);
  });

  it('reports hidden results without failing', async () => {
    server.setLog({ ...honest, final: false, resultsHidden: true });
    const run = await runVerifier(args('--state', stateFile()));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /INFO tally: the results are hidden until the election closes \(403 results_hidden\); the log's tally: 2343 ballots; q1: /);
  });

  it('before the final head, reports live results ahead of the log without failing', async () => {
    server.setLog({
      ...honest,
      final: false,
      alterResults: (results) => ({ ...results, totalBallots: results.totalBallots + 2 }),
    });
    const run = await runVerifier(args('--state', stateFile()));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /INFO tally: the head is not final and the live results may be ahead of the log: totalBallots: the log counts 2343, the results say 2345/);
  });

  it('follows a server that answers fewer entries than asked for', async () => {
    server.setLog({ ...honest, pageLimit: 300 });
    const run = await runVerifier(args('--state', stateFile()));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS entries: 2349 entries in 8 pages/);
  });

  it('verifies an empty log', async () => {
    server.setLog({ electionId: election.electionId, questions: election.questions, leaves: [], signer });
    const run = await runVerifier(args('--state', stateFile()));
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /PASS root: the 0 entries hash to the signed root/);
  });

  it('keeps its state under the home directory unless --state says otherwise', async () => {
    server.setLog(honest);
    const home = join(temp.dir, 'home');
    const run = await runVerifier(args(), { env: { ...process.env, HOME: home } });
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.ok(existsSync(join(home, '.onevote-verify', 'state.json')));
  });
});
