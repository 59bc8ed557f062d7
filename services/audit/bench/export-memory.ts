/**
 * Memory of the audit service while a client pages through a 100,000-ballot election's whole log
 * with `GET …/log/entries` (1,000 per call, as API.md allows). Audit runs as its own process; its
 * RSS is sampled from /proc every 10 ms.
 *   node --import tsx services/audit/bench/export-memory.ts [--ballots 100000]
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger, createPostgres, migrate } from '@onevote/platform';
import { freePort, ManagedProcess, provisionDatabase, repoRoot, startInfra, waitFor } from '@onevote/stack';
import { MerkleRepository } from '../src/adapters/merkle.repository.ts';
import { ballotHash, ballotLeaf } from '../src/domain/leaves.ts';

const { values } = parseArgs({ options: { ballots: { type: 'string', default: '100000' } } });
const ballots = Number(values.ballots);
const dir = mkdtempSync(join(tmpdir(), 'audit-bench-'));
const infra = await startInfra({ dir, env: {} });
const urls = await provisionDatabase(infra.postgresAdminUrl, 'audit_bench');
const sql = createPostgres(urls.audit!, { applicationName: 'audit-bench', max: 2 });
await migrate(sql, { schema: 'audit', dir: join(repoRoot, 'services/audit/migrations'), logger: createLogger('bench', 'warn') });

const electionId = randomUUID();
const question = randomUUID();
const options = [randomUUID(), randomUUID(), randomUUID()];
const tree = new MerkleRepository(sql);
const t0 = Date.now();
const encoder = new TextEncoder();
for (let done = 0; done < ballots; done += 1000) {
  const batch = Array.from({ length: Math.min(1000, ballots - done) }, (_, i) => {
    const key = ballotHash(randomUUID());
    const leaf = ballotLeaf({
      electionId,
      ballot: key,
      selections: [{ questionId: question, optionIds: [options[(done + i) % 3]!] }],
      countedAt: new Date().toISOString(),
    });
    return { leaf: encoder.encode(leaf), kind: 'ballot', key };
  });
  await tree.append(electionId, batch);
}
const appendMs = Date.now() - t0;

const port = await freePort();
const opsPort = await freePort();
const audit = new ManagedProcess({
  name: 'audit',
  command: process.execPath,
  args: process.env.AUDIT_MAIN ? [process.env.AUDIT_MAIN] : ['--import', 'tsx', join(repoRoot, 'services/audit/src/main.ts')],
  cwd: repoRoot,
  env: {
    PATH: process.env.PATH,
    ...(process.env.AUDIT_NODE_OPTIONS ? { NODE_OPTIONS: process.env.AUDIT_NODE_OPTIONS } : {}),
    PORT: String(port),
    OPS_PORT: String(opsPort),
    LOG_LEVEL: 'warn',
    DATABASE_URL: urls.audit!,
    NATS_URL: infra.natsUrl,
    RESULTS_URL: 'http://127.0.0.1:9',
    AUDIT_KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  },
  logFile: join(dir, 'audit.log'),
});
const base = `http://127.0.0.1:${port}`;
await waitFor('audit ready', async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`).catch(() => undefined))?.ok ?? false, { timeoutMs: 60_000 });
// A restarted audit signs a head for a log that grew without one.
await waitFor('a signed head', async () => (await fetch(`${base}/v1/elections/${electionId}/log/head`)).ok, { timeoutMs: 30_000 });

const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${audit.pid}/status`, 'utf8'))![1]) / 1024;
const idle = rss();
let peak = idle;
const sampler = setInterval(() => (peak = Math.max(peak, rss())), 10);
const t1 = Date.now();
let received = 0;
let bytes = 0;
for (let start = 0; start < ballots; start += 1000) {
  const res = await fetch(`${base}/v1/elections/${electionId}/log/entries?start=${start}&end=${start + 1000}`);
  const text = await res.text();
  bytes += text.length;
  received += (JSON.parse(text) as { entries: unknown[] }).entries.length;
}
const readMs = Date.now() - t1;
clearInterval(sampler);

const report = { ballots, appendMs, received, megabytes: Math.round(bytes / 1e5) / 10, readMs, rssIdleMiB: Math.round(idle), rssPeakMiB: Math.round(peak) };
console.log(`appended ${ballots} leaves in ${appendMs} ms; read ${received} entries (${report.megabytes} MB) in ${readMs} ms`);
console.log(`audit RSS: ${report.rssIdleMiB} MiB idle -> ${report.rssPeakMiB} MiB peak while serving the export`);
console.log(JSON.stringify(report));
await audit.stop();
await sql.end();
await infra.stop();
rmSync(dir, { recursive: true, force: true });
