import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { publishedKeys, retiredKeys, signingKey } from './key-ring.ts';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
const policy = { tokenTtlSeconds: 600, lagSeconds: 35 };
const k1 = { kid: 'k1', activatesAt: at(0) };
const k2 = { kid: 'k2', activatesAt: at(1000) };
const k3 = { kid: 'k3', activatesAt: at(1060) };

describe('signing key ring', () => {
  test('the newest key whose activation time has come signs', () => {
    assert.equal(signingKey([k1, k2], at(999))?.kid, 'k1');
    assert.equal(signingKey([k1, k2], at(1000))?.kid, 'k2');
    assert.equal(signingKey([k2], at(10)), undefined);
  });

  test('a new key is published before it signs', () => {
    assert.deepEqual(
      publishedKeys([k1, k2], at(940), policy).map((k) => k.kid),
      ['k2', 'k1'],
    );
  });

  test('an old key stays published until its last tokens have expired, then retires', () => {
    assert.deepEqual(
      publishedKeys([k1, k2], at(1000 + 634), policy).map((k) => k.kid),
      ['k2', 'k1'],
    );
    assert.deepEqual(
      publishedKeys([k1, k2], at(1000 + 635), policy).map((k) => k.kid),
      ['k2'],
    );
    assert.deepEqual(
      retiredKeys([k1, k2], at(1000 + 635), policy).map((k) => k.kid),
      ['k1'],
    );
  });

  test('with two rotations close together every key that may have signed a live token is published', () => {
    assert.deepEqual(
      publishedKeys([k1, k2, k3], at(1100), policy).map((k) => k.kid),
      ['k3', 'k2', 'k1'],
    );
  });
});
