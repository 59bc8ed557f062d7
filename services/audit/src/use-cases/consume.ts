import type { JsMsg } from '@nats-io/jetstream';
import type { Logger } from '@onevote/platform';
import type { LogStream } from '../adapters/log-stream.ts';

/**
 * Reads a stream batch by batch until stopped, handing each batch to `handle`. A batch that fails
 * (PostgreSQL away) is not acknowledged: its messages are asked for again a moment later.
 */
export function consume(stream: LogStream, handle: (batch: JsMsg[]) => Promise<void>, logger: Logger) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const batch = await stream.next();
      if (batch === undefined) {
        await pause(1000, () => stopped);
        continue;
      }
      if (batch.length === 0) continue;
      try {
        await handle(batch);
      } catch (err) {
        logger.warn({ err: (err as Error).message, messages: batch.length }, 'batch not recorded; it will be delivered again');
        for (const m of batch) m.nak(1000);
        await pause(1000, () => stopped);
      }
    }
    await stream.close();
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

async function pause(ms: number, stopped: () => boolean) {
  const until = Date.now() + ms;
  while (!stopped() && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(100, until - Date.now())));
}
