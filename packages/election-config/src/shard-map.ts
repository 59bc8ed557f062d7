import { createHash } from 'node:crypto';
import { Type } from '@sinclair/typebox';

/**
 * The vote shard map (ARCHITECTURE.md, Data): which PostgreSQL shard group holds a voter's ballot
 * of an election.
 *
 * - The shard groups are numbered 0, 1, 2, ... in the order of `VOTE_SHARD_URLS`, a list that only
 *   ever grows at its end (a group is never renumbered or removed).
 * - Each election has a shard count, fixed when ballot creates it (`ElectionConfig.shards`: the
 *   election's shard map version; absent = 1, every election made before sharding). Its ballots
 *   live on groups `0 .. shards-1`.
 * - A voter's group is a stable hash of the voter id modulo that count: the first 4 bytes of
 *   SHA-256, not a language's string hash, so every service, replica and version agrees.
 *
 * So a voter's ballot of an election always goes to the same group, whose primary key
 * `(election_id, voter_id)` is the one-vote rule (I2); adding a group changes the count only of
 * elections created afterwards, and never moves a ballot.
 */

/** Config of every service that reads or writes ballots (vote-api, results, ballot, relay). */
export const voteShardProperties = {
  /**
   * The service's own role URL on every vote shard group, whitespace-separated, in shard group
   * order (entry 0 is shard group 0, normally DATABASE_URL). Append-only: a group keeps its place.
   * Empty: one shard group, DATABASE_URL.
   */
  VOTE_SHARD_URLS: Type.String({ default: '', pattern: '^\\s*(postgres(ql)?://\\S+\\s*)*$' }),
};

/** The shard groups' URLs from `VOTE_SHARD_URLS`, or `[databaseUrl]` when it is empty. */
export function shardUrls(config: { VOTE_SHARD_URLS: string; DATABASE_URL: string }): string[] {
  const urls = config.VOTE_SHARD_URLS.split(/\s+/).filter(Boolean);
  return urls.length > 0 ? urls : [config.DATABASE_URL];
}

/** The election's shard count (its shard map version); 1 for an election made before sharding. */
export function shardCountOf(election: { shards?: number | undefined }): number {
  const n = election.shards;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1;
}

/** The shard group of `voterId` among `shardCount` groups. */
export function shardOf(voterId: string, shardCount: number): number {
  if (shardCount <= 1) return 0;
  // One SHA-256 per ballot: ~1 µs, next to the ~100 µs of token checks on the same path.
  return createHash('sha256').update(voterId, 'utf8').digest().readUInt32BE(0) % shardCount;
}

/** The shard group of a voter's ballot in an election (see the module comment). */
export function shardOfBallot(election: { shards?: number | undefined }, voterId: string): number {
  return shardOf(voterId, shardCountOf(election));
}
