import { createServer } from 'node:net';

// Below Linux's ephemeral range (32768-60999): a port handed out here and bound a moment later by
// a service cannot meanwhile become the local port of some outgoing connection, which is what made
// a listener fail with EADDRINUSE now and then when ports came from the ephemeral range.
const range = { from: 20_000, to: 32_000 };
const handedOut = new Set<number>();

/** A TCP port on 127.0.0.1 that nothing listens on right now (and not handed out before by this process). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = range.from + Math.floor(Math.random() * (range.to - range.from));
    if (handedOut.has(port) || !(await isPortFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port in ${range.from}-${range.to}`);
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `preferred` if free, else any free port. */
export async function portOr(preferred: number | undefined): Promise<number> {
  if (preferred && (await isPortFree(preferred))) return preferred;
  return freePort();
}
