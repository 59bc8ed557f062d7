import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { shardCountOf, shardOf, shardOfBallot, shardUrls } from './shard-map.ts';

describe('vote shard map', () => {
  test('stable: the first 4 bytes of SHA-256 of the voter id, modulo the count (fixed vectors)', () => {
    // sha256("voter-1") starts 6d2c8fcf, sha256("alice") 2bd806c9, sha256("bench:42") fda16f36:
    // any other hash (a JS string hash, another byte order) moves some of these.
    assert.equal(shardOf('voter-1', 2), 0x6d2c8fcf % 2);
    assert.equal(shardOf('voter-1', 4), 3);
    assert.equal(shardOf('alice', 2), 1);
    assert.equal(shardOf('alice', 4), 1);
    assert.equal(shardOf('bench:42', 2), 0);
    assert.equal(shardOf('bench:42', 4), 2);
    assert.equal(shardOf('bench:42', 7), 0xfda16f36 % 7);
    for (let i = 0; i < 100; i++) {
      const voter = randomUUID();
      assert.equal(shardOf(voter, 3), shardOf(voter, 3), 'the same voter, the same group');
    }
  });

  test('spread: voters fall evenly over the groups', () => {
    for (const groups of [2, 3, 4]) {
      const counts = Array.from({ length: groups }, () => 0);
      const voters = 20_000;
      for (let i = 0; i < voters; i++) counts[shardOf(`voter-${i}`, groups)]!++;
      const expected = voters / groups;
      // Binomial: 5 standard deviations is ~1.3% of 20,000/2; a skewed hash is off by far more.
      for (const n of counts) assert.ok(Math.abs(n - expected) < expected * 0.05, `${counts.join(', ')} over ${groups} groups`);
    }
  });

  test('version: an election keeps the count it was created with; without one it is on group 0', () => {
    const voters = Array.from({ length: 1000 }, () => randomUUID());
    // Made before sharding (no `shards`): every ballot on group 0, whatever the deployment has now.
    assert.equal(shardCountOf({}), 1);
    assert.ok(voters.every((v) => shardOfBallot({}, v) === 0));
    assert.equal(shardCountOf({ shards: 0 }), 1, 'a nonsense count is read as 1, never as modulo 0');
    // An election of version 2 routes by 2 groups even once a third group is added to the list;
    // routing by the number of groups deployed would move about a third of its voters (and let
    // a voter cast a second ballot on another group: I2).
    const moved = voters.filter((v) => shardOfBallot({ shards: 2 }, v) !== shardOfBallot({ shards: 3 }, v));
    assert.ok(moved.length > 200, `${moved.length} of 1000 voters would move`);
    assert.ok(voters.every((v) => shardOfBallot({ shards: 2 }, v) === shardOf(v, 2)));
  });

  test('VOTE_SHARD_URLS: whitespace-separated, in order; empty means DATABASE_URL alone', () => {
    assert.deepEqual(shardUrls({ VOTE_SHARD_URLS: '', DATABASE_URL: 'postgres://a/db' }), ['postgres://a/db']);
    assert.deepEqual(shardUrls({ VOTE_SHARD_URLS: ' postgres://a/db\n  postgres://b/db ', DATABASE_URL: 'postgres://a/db' }), [
      'postgres://a/db',
      'postgres://b/db',
    ]);
  });
});
