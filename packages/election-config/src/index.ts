export { electionConfigProperties, openElectionsBucket } from './bucket.ts';
export { type CacheOptions, type ConfigListener, ElectionConfigCache } from './cache.ts';
export { type ElectionConfig, ElectionConfigPublisher, type PublishOutcome } from './publisher.ts';
export { shardCountOf, shardOf, shardOfBallot, shardUrls, voteShardProperties } from './shard-map.ts';
