export { electionConfigProperties, openElectionsBucket } from './bucket.ts';
export { type CacheOptions, type ConfigListener, ElectionConfigCache } from './cache.ts';
export { type ElectionConfig, ElectionConfigPublisher, type PublishOutcome } from './publisher.ts';
