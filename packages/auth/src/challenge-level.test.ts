import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { expectedAttempts, levelForVolume } from './challenge-level.ts';

describe('challenge levels', () => {
  test('0 under the allowance, then one more at every doubling, up to the maximum', () => {
    assert.deepEqual(
      [0, 9, 10, 19, 20, 39, 40, 80, 160, 1e9].map((v) => levelForVolume(v, 10, 6)),
      [0, 0, 1, 1, 2, 2, 3, 4, 5, 6],
    );
  });

  test('each level doubles the expected attempts', () => {
    assert.deepEqual([0, 1, 2, 5].map((l) => expectedAttempts(1000, l)), [1000, 2000, 4000, 32_000]);
  });
});
