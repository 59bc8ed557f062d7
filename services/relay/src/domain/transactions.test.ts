import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bigIntToLsn, lsnToBigInt } from './pgoutput.ts';
import { timestampToIso, TransactionAssembler } from './transactions.ts';

test("a timestamptz's text form reads back as vote-api's receipts write it (milliseconds, UTC)", () => {
  assert.equal(timestampToIso('2026-12-01 10:00:00.123456+00'), '2026-12-01T10:00:00.123Z');
  assert.equal(timestampToIso('2026-12-01 10:00:00+00'), '2026-12-01T10:00:00.000Z');
  assert.equal(timestampToIso('2026-12-01 10:00:00.1+00'), '2026-12-01T10:00:00.100Z');
  assert.equal(timestampToIso('2026-12-01 10:00:00.5+01'), '2026-12-01T09:00:00.500Z');
  assert.equal(timestampToIso('2026-12-01 10:00:00.999999+05:30'), '2026-12-01T04:30:00.999Z');
  assert.throws(() => timestampToIso('yesterday'));
});

test('LSNs convert both ways and order as numbers', () => {
  for (const lsn of ['0/0', '0/16B3748', '1/0', 'FFFFFFFF/FFFFFFFF']) assert.equal(bigIntToLsn(lsnToBigInt(lsn)), lsn);
  assert.ok(lsnToBigInt('0/FFFFFFFF') < lsnToBigInt('1/0'));
});

test('inserts between Begin and Commit make one transaction; columns come from the Relation message', () => {
  const assembler = new TransactionAssembler();
  const columns = ['election_id', 'receipt_id', 'selections', 'counted_at'];
  assert.equal(assembler.push({ tag: 'relation', relationId: 7, namespace: 'votes', name: 'ballots', columns }), undefined);
  assembler.push({ tag: 'begin', finalLsn: 100n, xid: 1 });
  const selections = '[{"optionIds": ["o1"], "questionId": "q1"}]';
  assembler.push({ tag: 'insert', relationId: 7, values: ['e1', 'r1', selections, '2026-12-01 10:00:00.123456+00'] });
  assembler.push({ tag: 'insert', relationId: 7, values: ['e1', 'r2', selections, '2026-12-01 10:00:00.2+00'] });
  const tx = assembler.push({ tag: 'commit', commitLsn: 100n, endLsn: 120n, committedAt: new Date(0) });
  assert.deepEqual(
    tx?.ballots.map((b) => [b.receiptId, b.countedAt]),
    [
      ['r1', '2026-12-01T10:00:00.123Z'],
      ['r2', '2026-12-01T10:00:00.200Z'],
    ],
  );
  assert.deepEqual(JSON.parse(tx!.ballots[0]!.selections), [{ optionIds: ['o1'], questionId: 'q1' }]);
  assert.equal(tx?.endLsn, 120n);
  assert.throws(() => assembler.push({ tag: 'insert', relationId: 8, values: [] }), /before its description/);
});

test('inserts into votes.voided_ballots are the transaction voids, in order, apart from its ballots', () => {
  const assembler = new TransactionAssembler();
  const columns = ['election_id', 'receipt_id', 'reason', 'voided_at'];
  assembler.push({ tag: 'relation', relationId: 9, namespace: 'votes', name: 'voided_ballots', columns });
  assembler.push({ tag: 'begin', finalLsn: 200n, xid: 2 });
  assembler.push({ tag: 'insert', relationId: 9, values: ['e1', 'r2', 'bot farm', '2026-12-01 10:05:00.5+00'] });
  assembler.push({ tag: 'insert', relationId: 9, values: ['e1', 'r1', 'bot farm', '2026-12-01 10:05:00.5+00'] });
  const tx = assembler.push({ tag: 'commit', commitLsn: 200n, endLsn: 220n, committedAt: new Date(0) });
  assert.deepEqual(tx?.ballots, []);
  assert.deepEqual(tx?.voids, [
    { electionId: 'e1', receiptId: 'r2', reason: 'bot farm', at: '2026-12-01T10:05:00.500Z' },
    { electionId: 'e1', receiptId: 'r1', reason: 'bot farm', at: '2026-12-01T10:05:00.500Z' },
  ]);
});
