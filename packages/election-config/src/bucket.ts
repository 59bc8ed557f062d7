import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@onevote/contracts';
import { Type } from '@sinclair/typebox';

/** Config every service that reads or writes election configs adds to its schema. */
export const electionConfigProperties = {
  /** NATS KV bucket of election configs (tests use a fresh one per run). */
  ELECTIONS_BUCKET: Type.String({ default: natsNames.electionsBucket, pattern: '^[A-Za-z0-9_-]+$' }),
};

/** Opens the bucket, creating it on first use (one value per key; file storage survives restarts). */
export function openElectionsBucket(nc: NatsConnection, bucket: string): Promise<KV> {
  return new Kvm(nc).create(bucket, { history: 1, storage: 'file' } as never);
}
