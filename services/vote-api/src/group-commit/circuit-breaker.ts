export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * Stops sending work to a store that is failing: after `failures` consecutive failures it opens for
 * `openMs` (callers answer at once instead of waiting on timeouts), then lets work through again;
 * the first result decides whether it closes or opens for another period.
 */
export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private consecutive = 0;
  private openedAt = 0;

  constructor(
    private readonly options: { failures: number; openMs: number; onChange?: (state: BreakerState) => void },
  ) {}

  /** Whether work may be attempted now. */
  allows(now = Date.now()): boolean {
    if (this.state === 'open' && now - this.openedAt >= this.options.openMs) this.move('half_open');
    return this.state !== 'open';
  }

  /** Milliseconds until an open breaker lets work through again. */
  retryInMs(now = Date.now()): number {
    return this.state === 'open' ? Math.max(0, this.options.openMs - (now - this.openedAt)) : 0;
  }

  success() {
    this.consecutive = 0;
    if (this.state !== 'closed') this.move('closed');
  }

  failure(now = Date.now()) {
    this.consecutive++;
    if (this.state === 'half_open' || this.consecutive >= this.options.failures) {
      this.openedAt = now;
      if (this.state !== 'open') this.move('open');
    }
  }

  get current(): BreakerState {
    return this.state;
  }

  private move(state: BreakerState) {
    this.state = state;
    this.options.onChange?.(state);
  }
}
