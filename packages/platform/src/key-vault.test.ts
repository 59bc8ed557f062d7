import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { KeyVault } from './key-vault.ts';

describe('key vault (AES-256-GCM)', () => {
  const vault = new KeyVault(randomBytes(32).toString('base64url'));

  test('a sealed key opens with the same kid and never shows the plaintext', () => {
    const sealed = vault.seal('{"d":"secret-scalar"}', 'kid-1');
    assert.equal(sealed.includes(Buffer.from('secret-scalar')), false);
    assert.equal(vault.open(sealed, 'kid-1'), '{"d":"secret-scalar"}');
  });

  test('another kid, another encryption key or a flipped bit does not open it', () => {
    const sealed = vault.seal('{"d":"x"}', 'kid-1');
    assert.throws(() => vault.open(sealed, 'kid-2'));
    assert.throws(() => new KeyVault(randomBytes(32).toString('base64url')).open(sealed, 'kid-1'));
    const flipped = Buffer.from(sealed);
    flipped[flipped.length - 1]! ^= 1;
    assert.throws(() => vault.open(flipped, 'kid-1'));
  });

  test('a key of the wrong size is refused', () => {
    assert.throws(() => new KeyVault(randomBytes(16).toString('base64url')), /32 bytes/);
  });
});
