/**
 * How long after an admin's open/close call a KV watcher in another process (the ElectionConfigCache
 * an edge service runs) has the new status. Three processes: this client, the ballot service, the
 * watcher. Measured from just before the HTTP request is sent to the watcher's own clock reading
 * when its cache changed (same machine, same wall clock).
 *   npm run bench:propagation --workspace services/ballot   [ROUNDS=50]
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { aVoter } from '@onevote/auth/client';
import { waitFor } from '@onevote/stack';
import { benchEnvironment, percentile } from './harness.ts';

const rounds = Number(process.env.ROUNDS ?? 50);
const env = await benchEnvironment();
const watcher = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('../test/fixtures/kv-watcher.ts', import.meta.url))],
  {
    env: { ...process.env, NATS_URL: env.infra.natsUrl, ELECTIONS_BUCKET: env.bucket },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const seen = new Map<string, number>();
let ready = false;
createInterface({ input: watcher.stdout! }).on('line', (line) => {
  const m = JSON.parse(line);
  if (m.ready) ready = true;
  else seen.set(`${m.id}:${m.status}`, m.seenAt);
});
await waitFor('watcher ready', () => ready, { timeoutMs: 30_000 });

const admin = await aVoter(env.issuer, ['admin']);
const call = async (method: string, path: string, body?: unknown) => {
  const url = `${env.base}${path}`;
  const res = await fetch(url, {
    method,
    headers: {
      ...(await admin.headers(method, url)),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ id: string }>;
};

const lags: Record<'open' | 'closed', number[]> = { open: [], closed: [] };
for (let i = 0; i < rounds; i++) {
  const { id } = await call('POST', '/v1/elections', {
    title: `Bench ${i}`,
    questions: [{ title: 'Q', options: [{ label: 'a' }, { label: 'b' }] }],
  });
  for (const [action, status] of [
    ['open', 'open'],
    ['close', 'closed'],
  ] as const) {
    // The proof is signed before the clock starts: only the call and the propagation are timed.
    const url = `${env.base}/v1/elections/${id}/${action}`;
    const headers = await admin.headers('POST', url);
    const sent = performance.timeOrigin + performance.now();
    const res = await fetch(url, { method: 'POST', headers });
    if (!res.ok) throw new Error(`${action}: ${res.status}`);
    await waitFor(`${id} ${status}`, () => seen.has(`${id}:${status}`), { timeoutMs: 10_000, intervalMs: 5 });
    lags[status].push(seen.get(`${id}:${status}`)! - sent);
  }
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
for (const [status, values] of Object.entries(lags)) {
  const sorted = [...values].sort((a, b) => a - b);
  console.log(
    `${status.padEnd(6)} n=${sorted.length} p50=${fmt(percentile(sorted, 50))} p95=${fmt(percentile(sorted, 95))} p99=${fmt(percentile(sorted, 99))} max=${fmt(sorted.at(-1)!)}`,
  );
}
watcher.kill('SIGTERM');
await env.stop();
process.exit(0);
