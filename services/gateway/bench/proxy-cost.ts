/**
 * What the gateway costs per proxied request (CPU in the gateway process), on the vote path:
 * `node --import tsx services/gateway/bench/proxy-cost.ts [replicas=1] [requests=20000]`.
 *
 * The gateway runs in this process (booted as main.ts boots it); the upstreams (tiny node:http
 * servers answering 201 like vote-api) and the client (undici, 32 connections, a vote-sized POST
 * with DPoP-like headers) are child processes, so this process's CPU time is the gateway's alone.
 * Prints CPU µs per request and requests/s for 5 rounds and the median; on a shared machine the
 * CPU per request is the figure to compare, not the rate.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { bootService } from '@onevote/platform';
import { gatewayService } from '../src/service.ts';

const replicas = Number(process.argv[2] ?? 1);
const requests = Number(process.argv[3] ?? 20_000);
const rounds = 5;

// An upstream: reads the body, answers a receipt-sized 201 (keep-alive, like the services).
const upstreamCode = `
const http = require('node:http');
const body = JSON.stringify({ receiptId: '0'.repeat(26), countedAt: new Date().toISOString() });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body));
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

// The client: N POSTs at 32 connections; prints the wall time when done.
const clientCode = `
const { Pool } = require('undici');
const [origin, n] = [process.argv[1], Number(process.argv[2])];
const pool = new Pool(origin, { connections: 32, pipelining: 1 });
const body = JSON.stringify({ selections: [{ questionId: 'q1', optionIds: ['o1'] }] });
const headers = {
  'content-type': 'application/json',
  authorization: 'DPoP ' + 'a'.repeat(600),
  dpop: 'b'.repeat(500),
  'idempotency-key': '6f1c1f0e-8d7e-4a39-9d1e-3d1f5f0b8a11',
};
let sent = 0;
let failed = 0;
async function worker() {
  while (sent < n) {
    sent++;
    const res = await pool.request({ path: '/v1/elections/e1/votes', method: 'POST', headers, body });
    await res.body.text();
    if (res.statusCode !== 201) failed++;
  }
}
process.stdin.once('data', async () => {
  const started = Date.now();
  await Promise.all(Array.from({ length: 32 }, worker));
  process.stdout.write(JSON.stringify({ ms: Date.now() - started, failed }) + '\\n');
  await pool.close();
});
process.stdout.write('ready\\n');
`;

function child(args: string[]): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], cwd: process.cwd() });
  proc.stdout!.setEncoding('utf8');
  const lines = (async function* () {
    let buffer = '';
    for await (const chunk of proc.stdout!) {
      buffer += chunk;
      let end = buffer.indexOf('\n');
      while (end >= 0) {
        yield buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        end = buffer.indexOf('\n');
      }
    }
  })();
  return { proc, lines };
}

const upstreams = Array.from({ length: replicas }, () => child(['-e', upstreamCode]));
const ports = await Promise.all(upstreams.map(async (u) => (await u.lines.next()).value as string));
const gateway = await bootService(gatewayService, {
  env: { PORT: '0', LOG_LEVEL: 'silent', VOTE_API_URL: ports.map((p) => `http://127.0.0.1:${p}`).join(',') },
});

const results: { cpuUs: number; perSecond: number }[] = [];
try {
  for (let round = 0; round <= rounds; round++) {
    const client = child(['-e', clientCode, gateway.url, String(round === 0 ? 2000 : requests)]);
    await client.lines.next(); // ready
    const cpu = process.cpuUsage();
    client.proc.stdin!.end('go\n'); // and its stdin closes, so it exits when done
    const done = JSON.parse((await client.lines.next()).value as string) as { ms: number; failed: number };
    const used = process.cpuUsage(cpu);
    await once(client.proc, 'exit');
    if (done.failed > 0) throw new Error(`${done.failed} requests did not get their 201`);
    if (round === 0) continue; // warm-up
    const n = requests;
    results.push({ cpuUs: (used.user + used.system) / n, perSecond: Math.round((n / done.ms) * 1000) });
    console.log(`round ${round}: ${results.at(-1)!.cpuUs.toFixed(1)} µs CPU per request, ${results.at(-1)!.perSecond} requests/s`);
  }
} finally {
  await gateway.close();
  for (const u of upstreams) u.proc.kill();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  JSON.stringify({
    replicas,
    requests,
    cpuUsPerRequest: Number(median(results.map((r) => r.cpuUs)).toFixed(1)),
    requestsPerSecond: median(results.map((r) => r.perSecond)),
  }),
);
