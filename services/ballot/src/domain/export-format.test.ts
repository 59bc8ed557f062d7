import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvField, csvLine, jsonClosing, jsonItem, jsonOpening } from './export-format.ts';

test('CSV fields with commas, quotes or line breaks are quoted (RFC 4180)', () => {
  assert.equal(csvField('plain'), 'plain');
  assert.equal(csvField('a,b'), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField('two\nlines'), '"two\nlines"');
  assert.equal(csvLine({ receiptId: 'r', countedAt: 't', selections: [{ q: 1 }] }), 'r,t,"[{""q"":1}]"\n');
});

test('the JSON pieces join into one valid document', () => {
  const items = [1, 2, 3].map((i, n) =>
    jsonItem({ receiptId: `r${i}`, countedAt: 't', selections: [] }, n === 0),
  );
  const doc = JSON.parse(jsonOpening('e1') + items.join('') + jsonClosing);
  assert.equal(doc.electionId, 'e1');
  assert.deepEqual(
    doc.ballots.map((b: { receiptId: string }) => b.receiptId),
    ['r1', 'r2', 'r3'],
  );
  assert.deepEqual(JSON.parse(jsonOpening('e2') + jsonClosing), { electionId: 'e2', ballots: [] });
});
