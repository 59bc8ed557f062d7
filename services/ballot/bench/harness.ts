/** Shared by the benches: private servers, and the ballot service as its own process. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TokenIssuer } from '@onevote/auth/client';
import { freePort, ManagedProcess, provisionDatabase, startInfra, waitFor } from '@onevote/stack';

export async function benchEnvironment() {
  const dir = mkdtempSync(join(tmpdir(), 'ballot-bench-'));
  const infra = await startInfra({ dir, env: {} });
  const urls = await provisionDatabase(infra.postgresAdminUrl, 'ballot_bench');
  const issuer = await TokenIssuer.start();
  const bucket = `elections_bench_${process.pid}`;
  const port = await freePort();
  const opsPort = await freePort();
  const ballot = new ManagedProcess({
    name: 'ballot',
    command: process.execPath,
    args: ['--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))],
    env: {
      ...process.env,
      PORT: String(port),
      OPS_PORT: String(opsPort),
      LOG_LEVEL: 'warn',
      DATABASE_URL: urls.ballot!,
      REDIS_URL: infra.redisUrl,
      NATS_URL: infra.natsUrl,
      TRUSTED_ISSUERS: JSON.stringify([issuer.trustEntry]),
      ELECTIONS_BUCKET: bucket,
    },
    logFile: join(dir, 'ballot.log'),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitFor('ballot ready', async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).ok, { timeoutMs: 60_000 });
  return {
    infra,
    urls,
    issuer,
    bucket,
    base,
    ballot,
    async stop() {
      await ballot.stop();
      await issuer.stop();
      await infra.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resident set size of a process, in MiB, from /proc (Linux). */
export function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1]);
  return kb / 1024;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
