import type { KV, KvEntry } from '@nats-io/kv';
import type { Election } from '@onevote/contracts';
import type { Static } from '@sinclair/typebox';

/**
 * What the bucket holds for an election: its public shape, plus `shards`, the election's shard map
 * version (how many vote shard groups its ballots are spread over; src/shard-map.ts). ballot sets it
 * when the election is created and never changes it; absent means 1 (elections made before
 * sharding). It is not part of the public API's election.
 */
export type ElectionConfig = Static<typeof Election> & { shards?: number };

/** What a publish did: wrote the value, found the same or a newer revision, or found the key deleted. */
export type PublishOutcome = 'written' | 'up_to_date' | 'deleted';

const maxAttempts = 5;

/**
 * The ballot service's side: every change of an election is put to the bucket under its id.
 *
 * Several replicas publish, and a publish may be retried late (after a NATS outage), so a put is a
 * compare-and-set on the key's last sequence and never replaces a newer `revision` with an older
 * one: the bucket only moves forward, whatever order the publishes arrive in. Ids are never reused,
 * so a deleted key stays deleted.
 */
export class ElectionConfigPublisher {
  constructor(private readonly kv: KV) {}

  async publish(election: ElectionConfig): Promise<PublishOutcome> {
    const value = JSON.stringify(election);
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(election.id);
      if (entry && entry.operation !== 'PUT') return 'deleted';
      if (entry && storedRevision(entry) >= election.revision) return 'up_to_date';
      try {
        if (entry) await this.kv.update(election.id, value, entry.revision);
        else await this.kv.put(election.id, value, { previousSeq: 0 });
        return 'written';
      } catch (err) {
        // Someone else wrote the key between our get and put: look again.
        if (!isWrongLastSequence(err) || attempt >= maxAttempts) throw err;
      }
    }
  }

  async remove(electionId: string): Promise<void> {
    await this.kv.delete(electionId);
  }
}

function storedRevision(entry: KvEntry): number {
  try {
    const revision = entry.json<Partial<ElectionConfig>>().revision;
    return typeof revision === 'number' ? revision : 0;
  } catch {
    return 0;
  }
}

function isWrongLastSequence(err: unknown): boolean {
  // JetStream API error 10071 ("wrong last sequence"); the message is the stable part across versions.
  const e = err as { code?: unknown; api_error?: { err_code?: number }; message?: string };
  return (
    e?.api_error?.err_code === 10071 ||
    e?.code === 10071 ||
    (typeof e?.message === 'string' && e.message.includes('wrong last sequence'))
  );
}
