export { electionConfigProperties, openElectionsBucket } from './bucket.ts';
export { type CacheOptions, type ConfigListener, ElectionConfigCache } from './cache.ts';
export { type ElectionConfig, ElectionConfigPublisher } from './publisher.ts';
