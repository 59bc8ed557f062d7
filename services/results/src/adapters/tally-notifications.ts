import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { natsNames, type TallyChanged } from '@onevote/contracts';
import { consumeTraced, type Logger } from '@onevote/platform';

/**
 * Subscribes to every election's `TallyChanged` (a plain subscription, no queue group: every
 * results replica hears every commit and keeps its own copy current). The message only says "this
 * election changed"; the counts are always re-read from PostgreSQL (ADR 0002).
 */
export function subscribeTallyChanged(
  nc: NatsConnection,
  logger: Logger,
  onChange: (electionId: string, committedAt: number) => void,
): Subscription {
  return nc.subscribe(natsNames.tallyChangedWildcard, {
    callback: (err, msg) => {
      if (err) {
        logger.warn({ err: err.message }, 'tally notification subscription error');
        return;
      }
      // The subject names the election, so a malformed body still triggers the right re-read.
      const electionId = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
      let committedAt = Number.NaN;
      try {
        const event = msg.json<TallyChanged>();
        committedAt = Date.parse(event.committedAt);
      } catch {
        // no lag measurement for this one
      }
      // The re-read and the frame it leads to run in the trace of the commit that sent this.
      consumeTraced(
        'tally-changed process',
        msg.headers,
        { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject, 'onevote.election_id': electionId },
        () => onChange(electionId, committedAt),
      );
    },
  });
}
