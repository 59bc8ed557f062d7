// The CLI against a server that lies in one way: exit 1, and the first failure names the lie.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { anElectionLog, receiptOf } from './support/elections.ts';
import { aVoidLeaf, ballotHash } from './support/leaves.ts';
import { anEs256Signer, type LogServer, type ServedLog, startLogServer } from './support/log-server.ts';
import { referenceLeafHash } from './support/reference-log.ts';
import { runVerifier, temporaryDirectory } from './support/run-verifier.ts';

const signer = anEs256Signer('k1');
// 50 ballots after two events: 52 entries, entry i + 2 is ballot i.
const election = anElectionLog({ ballots: 50 });
const honest: ServedLog = { ...election, signer, final: true };
const trueEntries = () => election.leaves.map((leaf, leafIndex) => ({ leafIndex, leaf }));

describe('onevote-verify against a log that was tampered with', () => {
  let server: LogServer;
  const temp = temporaryDirectory();
  let n = 0;

  before(async () => {
    server = await startLogServer(honest);
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  async function verify(log: ServedLog, ...extra: string[]) {
    server.setLog(log);
    const state = join(temp.dir, `state-${n++}.json`);
    return runVerifier(['--url', server.url, '--election', election.electionId, '--state', state, ...extra]);
  }

  /**
   * Exit 1; one FAIL line and the final message both name `failure`; no check ran after it (only
   * the note that a head whose signature and history held was remembered).
   */
  function assertFails(run: { code: number | null; stdout: string; stderr: string }, check: string, failure: string) {
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const lines = run.stdout.trim().split('\n');
    const failed = lines.findIndex((line) => line.startsWith('FAIL'));
    assert.equal(lines[failed], `FAIL ${check}: ${failure}`);
    assert.deepEqual(lines.slice(failed + 1).filter((line) => !line.startsWith('INFO state:')), []);
    assert.equal(run.stderr.trim(), `onevote-verify: FAILED: ${failure}`);
  }

  it('the honest log passes (the control for every case below)', async () => {
    const run = await verify(honest, '--receipt', receiptOf(3));
    assert.equal(run.code, 0, run.stdout + run.stderr);
  });

  it('one entry altered: names the entry', async () => {
    const entries = trueEntries();
    entries[17] = { leafIndex: 17, leaf: entries[17]!.leaf.replace('"o', '"x') };
    assertFails(await verify({ ...honest, servedEntries: entries }), 'root', 'entry 17 does not match the signed root');
  });

  it('one entry altered by one byte of JSON whitespace: still caught, leaves are hashed as served', async () => {
    const entries = trueEntries();
    entries[40] = { leafIndex: 40, leaf: `${entries[40]!.leaf} ` };
    assertFails(await verify({ ...honest, servedEntries: entries }), 'root', 'entry 40 does not match the signed root');
  });

  it('one entry dropped and the rest renumbered: the log is shorter than the signed size', async () => {
    const entries = trueEntries().filter((e) => e.leafIndex !== 30).map((e, leafIndex) => ({ ...e, leafIndex }));
    assertFails(await verify({ ...honest, servedEntries: entries }), 'entries', 'the log serves only 51 of the 52 entries the signed head covers');
  });

  it('one entry dropped, the others keeping their leafIndex: names the missing entry', async () => {
    const entries = trueEntries().filter((e) => e.leafIndex !== 30);
    assertFails(await verify({ ...honest, servedEntries: entries }), 'entries', 'entry 30 is missing (the log goes from leafIndex 29 to 31)');
  });

  it('two entries reordered: names the first of them', async () => {
    const entries = trueEntries();
    [entries[10], entries[11]] = [
      { leafIndex: 10, leaf: entries[11]!.leaf },
      { leafIndex: 11, leaf: entries[10]!.leaf },
    ];
    assertFails(await verify({ ...honest, servedEntries: entries }), 'root', 'entry 10 does not match the signed root');
  });

  it('a bad head signature', async () => {
    const log: ServedLog = {
      ...honest,
      alterHead: (head) => {
        const signature = Buffer.from(head.signature, 'base64url');
        signature[20]! ^= 0x01;
        return { ...head, signature: signature.toString('base64url') };
      },
    };
    assertFails(await verify(log), 'head', 'the head\'s signature does not verify with key k1 (ES256)');
  });

  it('a head whose signed size was changed after signing', async () => {
    assertFails(
      await verify({ ...honest, alterHead: (head) => ({ ...head, treeSize: head.treeSize - 1 }) }),
      'head',
      'the head\'s signature does not verify with key k1 (ES256)',
    );
  });

  it('a head signed by a key /v1/audit/keys does not list', async () => {
    const log: ServedLog = { ...honest, signer: anEs256Signer('k9'), keys: [signer] };
    assertFails(await verify(log), 'head', 'the head is signed by key k9, which /v1/audit/keys does not list');
  });

  it('a tally that differs from the results on a final head', async () => {
    const log: ServedLog = {
      ...honest,
      alterResults: (results) => ({
        ...results,
        questions: results.questions.map((q) => ({
          ...q,
          options: q.options.map((o) => (q.questionId === 'q1' && o.optionId === 'o2' ? { ...o, votes: o.votes + 1 } : o)),
        })),
      }),
    };
    const votes = election.leaves.filter((leaf) => leaf.includes('"optionIds":["o2"]')).length;
    assertFails(
      await verify(log),
      'tally',
      `tally differs from results for option o2 of question q1: the log counts ${votes}, the results say ${votes + 1}`,
    );
  });

  it('a receipt that is not in the log', async () => {
    assertFails(
      await verify(honest, '--receipt', 'rc_never_cast'),
      'receipt',
      `the receipt's ballot ${ballotHash('rc_never_cast')} is not in the log (no inclusion proof: 404)`,
    );
  });

  it('an inclusion proof whose path is wrong', async () => {
    const log: ServedLog = {
      ...honest,
      alterProof: (proof) => ({ ...proof, auditPath: proof.auditPath.map((hash, i) => (i === 2 ? proof.auditPath[1]! : hash)) }),
    };
    assertFails(await verify(log, '--receipt', receiptOf(5)), 'receipt', 'the inclusion proof for entry 7 does not lead to the signed root');
  });

  it("an inclusion proof for another ballot than the receipt's", async () => {
    const leaf = election.leaves[8]!;
    const log: ServedLog = {
      ...honest,
      alterProof: (proof) => ({ ...proof, leaf, leafHash: referenceLeafHash(leaf).toString('base64url'), leafIndex: 8 }),
    };
    assertFails(
      await verify(log, '--receipt', receiptOf(5)),
      'receipt',
      `the inclusion proof's leaf is ballot ${ballotHash(receiptOf(6))}, not the receipt's ${ballotHash(receiptOf(5))}`,
    );
  });

  it("an inclusion proof whose leafHash is not the leaf's", async () => {
    const log: ServedLog = { ...honest, alterProof: (proof) => ({ ...proof, leaf: proof.leaf.replace('"v":1', '"v": 1') }) };
    assertFails(await verify(log, '--receipt', receiptOf(5)), 'receipt', "the inclusion proof's leafHash is not SHA-256(0x00 || leaf)");
  });

  it('a correctly signed log that voids a ballot it never held', async () => {
    const leaves = [...election.leaves, aVoidLeaf({ electionId: election.electionId, receiptId: 'rc_ghost' })];
    assertFails(
      await verify({ ...honest, leaves }),
      'leaves',
      `entry 52 voids ballot ${ballotHash('rc_ghost')}, which is not earlier in the log`,
    );
  });

  it('a correctly signed log holding a ballot of another election', async () => {
    const other = anElectionLog({ electionId: 'el_other', ballots: 1 }).leaves[2]!;
    assertFails(await verify({ ...honest, leaves: [...election.leaves, other] }), 'leaves', 'entry 52 belongs to election el_other, not el_audit');
  });
});

describe('onevote-verify usage and reachability', () => {
  it('exits 2 on a usage error, naming it', async () => {
    for (const [args, message] of [
      [['--election', 'el_1'], '--url is required'],
      [['--url', 'http://127.0.0.1:1'], '--election is required'],
      [['--url', 'ftp://x', '--election', 'e'], '--url must be http: or https:'],
      [['--url', 'http://x', '--election', 'e', '--bogus'], "Unknown option '--bogus'"],
    ] as const) {
      const run = await runVerifier(args);
      assert.equal(run.code, 2, run.stderr);
      assert.ok(run.stderr.includes(message), run.stderr);
      assert.match(run.stderr, /usage: onevote-verify --url <origin>/);
    }
  });

  it('exits 2 when the server cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const server = await startLogServer(honest);
    const url = server.url;
    await server.close();
    const temp = temporaryDirectory();
    try {
      const run = await runVerifier(['--url', url, '--election', election.electionId, '--state', join(temp.dir, 's.json')]);
      assert.equal(run.code, 2, run.stdout + run.stderr);
      assert.match(run.stderr, /onevote-verify: server unavailable: GET \/v1\/audit\/keys failed/);
      const json = await runVerifier(['--url', url, '--election', election.electionId, '--state', join(temp.dir, 's.json'), '--json']);
      assert.equal(json.code, 2);
      assert.deepEqual(
        [JSON.parse(json.stdout).outcome, JSON.parse(json.stdout).exitCode],
        ['unavailable', 2],
      );
    } finally {
      temp.remove();
    }
  });
});
