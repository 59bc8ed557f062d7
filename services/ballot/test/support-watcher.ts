import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@onevote/stack/testing';

export interface Sighting {
  id: string;
  status: string;
  revision: number;
  /** The watcher process's wall clock (ms since the epoch, fractional) when it saw the change. */
  seenAt: number;
}

/** The KV watcher fixture as a separate process; collects what it sees. */
export async function startWatcherProcess(natsUrl: string, bucket: string) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('./fixtures/kv-watcher.ts', import.meta.url))],
    {
      env: { ...process.env, NATS_URL: natsUrl, ELECTIONS_BUCKET: bucket },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const sightings: Sighting[] = [];
  let ready = false;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const parsed = JSON.parse(line);
    if (parsed.ready) ready = true;
    else sightings.push(parsed);
  });
  await waitFor('watcher process ready', () => ready || child.exitCode !== null, { timeoutMs: 30_000 });
  if (!ready) throw new Error('watcher exited');
  return {
    sightings,
    seen: (id: string, status: string) => sightings.find((s) => s.id === id && s.status === status),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}
