import assert from 'node:assert/strict';
import { test } from 'node:test';
import { userHandleOf, userHandleText } from './passkey-user.ts';

test('a voter id becomes a 16-byte user handle with no personal data, base64url in the options', () => {
  const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
  assert.deepEqual([...userHandleOf(id)].slice(0, 3), [0x0f, 0x8f, 0xad]);
  assert.equal(userHandleOf(id).length, 16);
  assert.equal(userHandleText(id), Buffer.from('0f8fad5bd9cb469fa16570867728950e', 'hex').toString('base64url'));
});
