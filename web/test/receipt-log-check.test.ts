/**
 * The browser's receipt check (web/src/domain/receipt-log-check.ts) against the verifier's test log
 * server: an in-process HTTP server whose heads are signed with a key of the test's own and whose
 * proofs come from a plain RFC 9162 reference implementation, honest or lying one way at a time.
 * The pauses between attempts are the test's own function, which lets the log grow between them.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { createAuditClient } from '@onevote/verifier';
import { aBallotLeaf, anEventLeaf } from '../../packages/verifier/test/support/leaves.ts';
import { anEs256Signer, type LogServer, type ServedLog, startLogServer } from '../../packages/verifier/test/support/log-server.ts';
import { checkReceiptInLog, readSignedHead, TreeHeadKeys } from '../src/domain/receipt-log-check.ts';

const electionId = randomUUID();
const questions = [{ questionId: 'q1', optionIds: ['o1', 'o2'] }];
const receipts = Array.from({ length: 6 }, () => randomUUID());
const signer = anEs256Signer('head-key-1');

function logOf(ballots: readonly string[], extra: Partial<ServedLog> = {}): ServedLog {
  const leaves = [anEventLeaf({ electionId, event: 'created' }), anEventLeaf({ electionId, event: 'opened' })];
  for (const [i, receiptId] of ballots.entries()) {
    leaves.push(aBallotLeaf({ electionId, receiptId, selections: [{ questionId: 'q1', optionIds: [i % 2 ? 'o2' : 'o1'] }] }));
  }
  return { electionId, questions, leaves, signer, ...extra };
}

const servers: LogServer[] = [];
after(() => Promise.all(servers.map((server) => server.close())));

async function serve(log: ServedLog) {
  const server = await startLogServer(log);
  servers.push(server);
  return { server, client: createAuditClient({ url: server.url, timeoutMs: 5000 }) };
}

/** Pauses that wait for nothing, counting how many were asked for. */
function countedPauses(onPause: (count: number) => void = () => {}) {
  const pauses: number[] = [];
  return {
    pauses,
    pause: async (ms: number) => {
      pauses.push(ms);
      onPause(pauses.length);
    },
  };
}

test('a receipt in the signed log is verified, with its leaf and the head it was proven against', async () => {
  const { server, client } = await serve(logOf(receipts));
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[3]! });
  assert.equal(result.state, 'verified');
  assert.ok(result.state === 'verified');
  // Two event leaves come first, so the fourth ballot is leaf index 5.
  assert.equal(result.leafIndex, 5);
  assert.deepEqual(result.head, server.head());
  // The proof was asked for at the size of the head whose signature was checked.
  assert.ok(server.requests.some((r) => r.startsWith('/v1/elections/') && r.includes('/log/proof?') && r.includes(`treeSize=${receipts.length + 2}`)));
});

test('a ballot the log does not hold yet is looked for again until it is in a signed head', async () => {
  const { server, client } = await serve(logOf(receipts.slice(0, 2)));
  // The log catches up after the second pause, as it does a second or two after a 201.
  const { pauses, pause } = countedPauses((count) => count === 2 && server.setLog(logOf(receipts.slice(0, 3))));
  const retries: number[] = [];
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[2]! }, { pause, onRetry: (n) => retries.push(n) });
  assert.equal(result.state, 'verified');
  assert.deepEqual(pauses, [500, 1000]);
  assert.deepEqual(retries, [2, 3]);
});

test('a receipt nobody has is "not in the log yet" after every retry, and never verified', async () => {
  const { client } = await serve(logOf(receipts));
  const { pauses, pause } = countedPauses();
  const retryDelaysMs = [10, 20, 30];
  const result = await checkReceiptInLog(client, { electionId, receiptId: randomUUID() }, { pause, retryDelaysMs });
  assert.deepEqual(result, { state: 'not_in_log', final: false });
  assert.deepEqual(pauses, retryDelaysMs);
});

test('the default retries give the log about 20 s', async () => {
  const { client } = await serve(logOf(receipts));
  const { pauses, pause } = countedPauses();
  await checkReceiptInLog(client, { electionId, receiptId: randomUUID() }, { pause });
  const total = pauses.reduce((sum, ms) => sum + ms, 0);
  assert.ok(total >= 15_000 && total <= 25_000, `${total} ms`);
  assert.ok(pauses.every((ms, i) => i === 0 || ms >= pauses[i - 1]!), 'the pauses never shrink');
});

test('on a final head a missing receipt is answered at once: it will never be in the log', async () => {
  const { client } = await serve(logOf(receipts, { final: true }));
  const { pauses, pause } = countedPauses();
  const result = await checkReceiptInLog(client, { electionId, receiptId: randomUUID() }, { pause });
  assert.deepEqual(result, { state: 'not_in_log', final: true });
  assert.deepEqual(pauses, []);
});

test('an election without a signed head yet is retried, then "not in the log yet"', async () => {
  const { client } = await serve(logOf(receipts));
  const { pause } = countedPauses();
  const result = await checkReceiptInLog(client, { electionId: randomUUID(), receiptId: receipts[0]! }, { pause, retryDelaysMs: [1] });
  assert.deepEqual(result, { state: 'not_in_log', final: false });
});

test('a head whose signature does not verify fails at once, naming the signature', async () => {
  const { client } = await serve(logOf(receipts, { alterHead: (head) => ({ ...head, treeSize: head.treeSize - 1 }) }));
  const { pauses, pause } = countedPauses();
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[0]! }, { pause });
  assert.equal(result.state, 'failed');
  assert.ok(result.state === 'failed');
  assert.match(result.reason, /signature does not verify/);
  assert.deepEqual(pauses, [], 'a lying server gets no second try');
});

test('a head signed by a key the server does not publish fails, after asking for the keys again', async () => {
  const { server, client } = await serve(logOf(receipts, { keys: [anEs256Signer('other-key')] }));
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[0]! });
  assert.ok(result.state === 'failed');
  assert.match(result.reason, /head-key-1, which \/v1\/audit\/keys does not list/);
  assert.equal(server.requests.filter((r) => r === '/v1/audit/keys').length, 2);
});

test('after a key rotation the page asks for the keys again and verifies with the new key', async () => {
  const { server, client } = await serve(logOf(receipts));
  const keys = new TreeHeadKeys(client);
  assert.equal((await checkReceiptInLog(client, { electionId, receiptId: receipts[0]!, keys })).state, 'verified');
  const rotated = anEs256Signer('head-key-2');
  server.setLog(logOf(receipts, { signer: rotated, keys: [signer, rotated] }));
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[1]!, keys });
  assert.equal(result.state, 'verified');
  assert.equal(server.requests.filter((r) => r === '/v1/audit/keys').length, 2);
});

test('the head of another election is refused, even though its signature holds', async () => {
  const other = randomUUID();
  const { client } = await serve({ ...logOf(receipts), electionId: other });
  assert.equal((await readSignedHead(client, new TreeHeadKeys(client), other)).kind, 'signed');
  // A server that answers the head of `other` when asked for `electionId`.
  const result = await checkReceiptInLog({ ...client, head: () => client.head(other) }, { electionId, receiptId: receipts[0]! });
  assert.ok(result.state === 'failed');
  assert.match(result.reason, /head of another election/);
});

test('an inclusion proof that does not lead to the signed root fails, naming the proof', async () => {
  const { client } = await serve(
    logOf(receipts, { alterProof: (proof) => ({ ...proof, auditPath: [...proof.auditPath].reverse() }) }),
  );
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[4]! });
  assert.ok(result.state === 'failed');
  assert.match(result.reason, /does not lead to the signed root/);
});

test("a proof of another ballot than the receipt's fails", async () => {
  const { server, client } = await serve(logOf(receipts));
  const honest = await client.proof(electionId, { receiptId: receipts[1]!, treeSize: server.head().treeSize });
  server.setLog(logOf(receipts, { alterProof: () => honest }));
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[2]! });
  assert.ok(result.state === 'failed');
  assert.match(result.reason, /not the receipt's/);
});

test('a server that cannot be reached is retried, then named as unreachable; text that is not a receipt id is refused', async () => {
  const { server, client } = await serve(logOf(receipts));
  await server.close();
  servers.pop();
  const { pauses, pause } = countedPauses();
  const result = await checkReceiptInLog(client, { electionId, receiptId: receipts[0]! }, { pause, retryDelaysMs: [1, 2] });
  assert.deepEqual(result, { state: 'failed', reason: 'the public log could not be reached' });
  assert.deepEqual(pauses, [1, 2]);
  assert.deepEqual(await checkReceiptInLog(client, { electionId, receiptId: 'anything' }), {
    state: 'failed',
    reason: 'this is not a receipt id',
  });
});

test('an aborted check stops between attempts', async () => {
  const { client } = await serve(logOf(receipts));
  const controller = new AbortController();
  const { pause } = countedPauses(() => controller.abort(new Error('left the screen')));
  await assert.rejects(
    checkReceiptInLog(client, { electionId, receiptId: randomUUID() }, { pause, signal: controller.signal }),
    /left the screen/,
  );
});
