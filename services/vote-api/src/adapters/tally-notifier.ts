import type { NatsConnection } from '@nats-io/transport-node';
import { natsNames, type TallyChanged } from '@onevote/contracts';
import { type Logger, publishTraced } from '@onevote/platform';
import type { StoredBallot } from './ballot-store.ts';

/**
 * Tells results replicas that an election's tally changed (they re-read the sums from PostgreSQL).
 * Fire and forget: the ballot is already committed, and a lost notification heals at the next
 * periodic re-read (I4), so a NATS outage never fails a vote.
 */
export class TallyNotifier {
  constructor(
    private readonly nc: NatsConnection,
    private readonly logger: Logger,
  ) {}

  committed(inserted: readonly StoredBallot[], committedAt = new Date()) {
    if (inserted.length === 0) return;
    const perElection = new Map<string, number>();
    for (const b of inserted) perElection.set(b.electionId, (perElection.get(b.electionId) ?? 0) + 1);
    for (const [electionId, ballots] of perElection) {
      const event: TallyChanged = { electionId, ballots, committedAt: committedAt.toISOString() };
      try {
        const subject = natsNames.tallyChanged(electionId);
        // Sent within the commit batch's span: results' frame joins the trace (W3C headers).
        publishTraced(
          'tally-changed publish',
          { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'onevote.ballots': ballots },
          (headers) => this.nc.publish(subject, JSON.stringify(event), headers ? { headers } : undefined),
        );
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, electionId }, 'tally notification not sent');
      }
    }
  }

  /** A void lowered an election's tally (fraud review). */
  changed(electionId: string, ballots: number, at = new Date()) {
    const event: TallyChanged = { electionId, ballots, committedAt: at.toISOString() };
    try {
      this.nc.publish(natsNames.tallyChanged(electionId), JSON.stringify(event));
    } catch (err) {
      this.logger.warn({ err: (err as Error).message, electionId }, 'tally notification not sent');
    }
  }
}
