import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { natsNames } from '@onevote/contracts';
import { createLogger, type Logger, scaleUpStream } from '@onevote/platform';
import { Type } from '@sinclair/typebox';

/** Config every service that reads or writes election configs adds to its schema. */
export const electionConfigProperties = {
  /** NATS KV bucket of election configs (tests use a fresh one per run). */
  ELECTIONS_BUCKET: Type.String({ default: natsNames.electionsBucket, pattern: '^[A-Za-z0-9_-]+$' }),
};

/**
 * Opens the bucket. Only its writer (ballot, or a test arranging configs) creates it on first use
 * (one value per key; file storage survives restarts; `replicas` copies, `NATS_REPLICAS`, and an
 * existing bucket with fewer scaled up); readers may not create streams, so they wait for it to exist.
 */
export async function openElectionsBucket(
  nc: NatsConnection,
  bucket: string,
  options: { create?: boolean; waitMs?: number; replicas?: number; logger?: Logger } = {},
): Promise<KV> {
  const kvm = new Kvm(nc);
  if (options.create) {
    const replicas = options.replicas ?? 1;
    const kv = await kvm.create(bucket, { history: 1, storage: 'file', replicas } as never);
    // create() of a bucket that exists opens it as it is: its replicas are not changed.
    const logger = options.logger ?? createLogger('election-config', 'warn');
    await scaleUpStream(nc, `KV_${bucket}`, replicas, logger);
    return kv;
  }
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
