import type { KV } from '@nats-io/kv';
import type { Election } from '@onevote/contracts';
import type { Static } from '@sinclair/typebox';

export type ElectionConfig = Static<typeof Election>;

/** The ballot service's side: every change of an election is put to the bucket under its id. */
export class ElectionConfigPublisher {
  constructor(private readonly kv: KV) {}

  async publish(election: ElectionConfig): Promise<void> {
    await this.kv.put(election.id, JSON.stringify(election));
  }

  async remove(electionId: string): Promise<void> {
    await this.kv.delete(electionId);
  }
}
