/**
 * `work`'s result, or `undefined` if it fails or takes longer than `ms` (for optional Redis answers).
 *
 * The deadline measures the server, not this process: when the timer fires, the answer may already
 * be waiting in the socket behind a stall of our own event loop (a GC pause, a burst of signature
 * checks). Timers run before I/O callbacks in each turn of the loop, so giving up is deferred to the
 * check phase (`setImmediate`), after the I/O that arrived during the stall has been read.
 */
export async function within<T>(ms: number, work: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  let immediate: NodeJS.Immediate | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => {
          immediate = setImmediate(resolve, undefined);
        }, ms);
      }),
    ]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  }
}
