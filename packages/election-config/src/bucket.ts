import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@onevote/contracts';
import { Type } from '@sinclair/typebox';

/** Config every service that reads or writes election configs adds to its schema. */
export const electionConfigProperties = {
  /** NATS KV bucket of election configs (tests use a fresh one per run). */
  ELECTIONS_BUCKET: Type.String({ default: natsNames.electionsBucket, pattern: '^[A-Za-z0-9_-]+$' }),
};

/**
 * Opens the bucket. Only its writer (ballot, or a test arranging configs) creates it on first use
 * (one value per key; file storage survives restarts); readers may not create streams, so they wait
 * for it to exist.
 */
export async function openElectionsBucket(
  nc: NatsConnection,
  bucket: string,
  options: { create?: boolean; waitMs?: number } = {},
): Promise<KV> {
  const kvm = new Kvm(nc);
  if (options.create) return kvm.create(bucket, { history: 1, storage: 'file' } as never);
  const deadline = Date.now() + (options.waitMs ?? 60_000);
  for (;;) {
    try {
      const kv = await kvm.open(bucket);
      await kv.status(); // open() alone does not ask whether the stream exists
      return kv;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the KV bucket ${bucket} does not exist (is ballot running?)`, { cause: err });
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
