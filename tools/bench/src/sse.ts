import { Samples } from './stats.ts';

/**
 * K subscribers to the results stream. Lag for a frame showing `totalBallots = T` is the time since
 * the T-th ballot was acknowledged to the generator (`countedAt`, filled as answers arrive): how long the audience waits to see a count.
 */
export function subscribe(url: string, k: number, countedAt: readonly number[]) {
  const lag = new Samples();
  const controller = new AbortController();
  let frames = 0;
  let failures = 0;
  const one = async () => {
    let seen = 0;
    while (!controller.signal.aborted) {
      try {
        const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
        if (!res.ok || !res.body) throw new Error(`status ${res.status}`);
        const decoder = new TextDecoder();
        let buffer = '';
        const reader = res.body.getReader();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            end = buffer.indexOf('\n\n');
            const data = frame.split('\n').find((l) => l.startsWith('data:'));
            if (!data) continue;
            frames++;
            const total = (JSON.parse(data.slice(5)) as { totalBallots: number }).totalBallots;
            if (total > seen && total <= countedAt.length) lag.add(Math.max(0, Date.now() - countedAt[total - 1]!));
            seen = Math.max(seen, total);
          }
        }
      } catch {
        if (!controller.signal.aborted) failures++;
      }
    }
  };
  const running = Promise.all(Array.from({ length: k }, one));
  return {
    lag,
    stats: () => ({ frames, failures }),
    async stop() {
      controller.abort();
      await running;
    },
  };
}

/** Steady results reads (what a CDN would absorb), `rps` per second. */
export function readResults(url: string, rps: number) {
  let ok = 0;
  let failed = 0;
  const timer =
    rps > 0
      ? setInterval(() => {
          fetch(url)
            .then(async (r) => {
              await r.arrayBuffer();
              if (r.ok) ok++;
              else failed++;
            })
            .catch(() => failed++);
        }, 1000 / rps)
      : undefined;
  return {
    stop: () => {
      clearInterval(timer);
      return { ok, failed };
    },
  };
}
