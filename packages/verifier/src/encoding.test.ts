import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { equalBytes, fromBase64Url, toBase64Url } from './encoding.ts';

describe('base64url without padding', () => {
  it('round-trips every length and agrees with Node', () => {
    for (let length = 0; length < 70; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 37 + length) & 0xff);
      const encoded = toBase64Url(bytes);
      assert.equal(encoded, Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(fromBase64Url(encoded), bytes);
    }
  });

  it('refuses padding, the standard alphabet, whitespace and impossible lengths', () => {
    for (const text of ['AA==', 'A+B/', 'AA AA', 'AAAAA', '*']) assert.equal(fromBase64Url(text), undefined, text);
  });

  it('compares bytes by value', () => {
    assert.equal(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
    assert.equal(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
    assert.equal(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1])), false);
  });
});
