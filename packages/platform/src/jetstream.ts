import { JetStreamApiError, jetstreamManager, type StreamInfo } from '@nats-io/jetstream';
import { type NatsConnection, NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { Type } from '@sinclair/typebox';
import type { Logger } from './logger.ts';

/** Config of every service that makes JetStream streams or KV buckets. */
export const natsConfigProperties = {
  /**
   * Replicas of every JetStream stream and KV bucket the service makes: 1 on one NATS server, 3 on
   * a NATS cluster (one node may then die). An existing one with fewer is scaled up to this.
   */
  NATS_REPLICAS: Type.Integer({ minimum: 1, maximum: 5, default: 1 }),
};

// One warning per stream and process: the relay checks its stream every few seconds.
const warned = new Set<string>();

/**
 * Scales an existing stream (a KV bucket's is `KV_<bucket>`) up to `replicas`, which a NATS
 * cluster does in place (the new peers catch up from the leader). Never down: fewer copies than
 * wanted is a decision for an operator, not a side effect of a config typo. A server that cannot
 * (one server, or too few nodes) leaves the stream as it is, with a warning: it still works.
 */
export async function scaleUpStream(
  nc: NatsConnection,
  stream: string,
  replicas: number,
  logger: Logger,
  known?: StreamInfo,
): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const info = known ?? (await jsm.streams.info(stream));
  const have = info.config.num_replicas || 1;
  if (have >= replicas) return;
  try {
    await jsm.streams.update(stream, { num_replicas: replicas });
    logger.info({ stream, from: have, to: replicas }, 'JetStream stream scaled up to NATS_REPLICAS');
    // Its peers change, and it elects a leader again: until then a publish finds no one listening.
    const deadline = Date.now() + 10_000;
    while (!(await jsm.streams.info(stream)).cluster?.leader && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    if (!(err instanceof JetStreamApiError)) throw err;
    if (!warned.has(stream)) {
      warned.add(stream);
      logger.warn({ stream, have, wanted: replicas, err: err.message }, 'JetStream stream could not be scaled up; kept as it is');
    }
  }
}

/**
 * Whether a failed JetStream publish or request may succeed if sent again: no answer in time, no
 * one listening (a stream between leaders after a node died, or the client reconnecting to another
 * node), or JetStream answering that it is briefly unavailable (503).
 */
export function isTransientJetStreamError(err: unknown): boolean {
  if (err instanceof TimeoutError || err instanceof NoRespondersError) return true;
  if (err instanceof RequestError && err.isNoResponders()) return true;
  if (err instanceof JetStreamApiError) return err.status === 503;
  // JetStream's client reports "no responders" to a publish as JetStreamNotEnabled (not exported).
  return (err as { name?: string } | undefined)?.name === 'JetStreamNotEnabled';
}

/**
 * Runs `attempt` until it succeeds, a non-transient error, or `deadlineMs` passes. On a NATS
 * cluster a stream whose leader died has none for a few seconds (measured: ~6 s on nats-server 2.9,
 * docs/reliability.md); a publish with a message id may be sent again safely (JetStream drops the
 * repeat within its duplicate window).
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>,
  { deadlineMs = 30_000, onRetry }: { deadlineMs?: number; onRetry?: (err: unknown, attempt: number) => void } = {},
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      if (!isTransientJetStreamError(err) || Date.now() >= deadline) throw err;
      onRetry?.(err, n);
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** (n - 1), 1000)));
    }
  }
}
