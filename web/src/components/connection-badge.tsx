import type { Connection } from '../use-results-stream.ts';

const text: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  final: 'Final results',
  hidden: 'Hidden until close',
  failed: 'Not available',
};

export function ConnectionBadge({ connection }: { connection: Connection }) {
  return (
    <span className={`badge conn-${connection}`} role="status" aria-live="polite" data-testid="connection">
      <span className="dot" aria-hidden="true" />
      {text[connection]}
    </span>
  );
}
