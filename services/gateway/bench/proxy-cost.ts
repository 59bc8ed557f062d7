/**
 * What the gateway costs per proxied request (CPU in the gateway process), on the vote path:
 *
 *   node --import tsx services/gateway/bench/proxy-cost.ts [--replicas 1] [--requests 10000] [--rounds 8]
 *     [--baseline <another checkout>/services/gateway/src/service.ts]
 *
 * The gateway runs in this process (booted as main.ts boots it); the upstreams (tiny node:http
 * servers answering 201 like vote-api) and the client (undici, 32 connections, a vote-sized POST
 * with DPoP-sized headers) are child processes, so this process's CPU time is the gateway's alone.
 * With `--baseline`, that checkout's gateway is booted too (given only the first upstream) and the
 * rounds alternate between the two, so both see the same background load: on a shared machine the
 * figures of runs minutes apart differ by more than the change being measured. Prints the CPU µs
 * per request of every round, each gateway's median, and the median of the round-by-round ratios.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { bootService, type ServiceDefinition } from '@onevote/platform';
import type { TObject } from '@sinclair/typebox';
import { gatewayService } from '../src/service.ts';

const { values: args } = parseArgs({
  options: {
    replicas: { type: 'string', default: '1' },
    requests: { type: 'string', default: '10000' },
    rounds: { type: 'string', default: '8' },
    baseline: { type: 'string' },
  },
});
const replicas = Number(args.replicas);
const requests = Number(args.requests);
const rounds = Number(args.rounds);

// An upstream: reads the body, answers a receipt-sized 201 (keep-alive, like the services).
const upstreamCode = `
const http = require('node:http');
const body = JSON.stringify({ receiptId: '0'.repeat(26), countedAt: new Date().toISOString() });
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(req.url === '/' ? 404 : 201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body));
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(String(server.address().port) + '\\n'));
`;

// The client: N POSTs at 32 connections once told to start; prints the wall time when done.
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

function child(childArgs: string[]): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, childArgs, { stdio: ['pipe', 'pipe', 'inherit'], cwd: process.cwd() });
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

/** One round: `n` requests through the gateway at `url`; this process's CPU µs per request. */
async function round(url: string, n: number): Promise<{ cpuUs: number; perSecond: number }> {
  const client = child(['-e', clientCode, url, String(n)]);
  await client.lines.next(); // ready
  const cpu = process.cpuUsage();
  client.proc.stdin!.end('go\n'); // and its stdin closes, so it exits when done
  const done = JSON.parse((await client.lines.next()).value as string) as { ms: number; failed: number };
  const used = process.cpuUsage(cpu);
  await once(client.proc, 'exit');
  if (done.failed > 0) throw new Error(`${done.failed} requests did not get their 201`);
  return { cpuUs: (used.user + used.system) / n, perSecond: Math.round((n / done.ms) * 1000) };
}

const upstreams = Array.from({ length: replicas }, () => child(['-e', upstreamCode]));
const origins = await Promise.all(upstreams.map(async (u) => `http://127.0.0.1:${(await u.lines.next()).value as string}`));
const env = { PORT: '0', LOG_LEVEL: 'silent' };
const variants: { name: string; gateway: { url: string; close(): Promise<void> } }[] = [
  { name: 'this', gateway: await bootService(gatewayService, { env: { ...env, VOTE_API_URL: origins.join(',') } }) },
];
if (args.baseline) {
  const { gatewayService: baseline } = (await import(args.baseline)) as { gatewayService: ServiceDefinition<TObject, object> };
  variants.push({ name: 'baseline', gateway: await bootService(baseline, { env: { ...env, VOTE_API_URL: origins[0]! } }) });
}

const results = new Map<string, { cpuUs: number; perSecond: number }[]>(variants.map((v) => [v.name, []]));
try {
  for (const v of variants) await round(v.gateway.url, 2000); // warm-up
  for (let r = 1; r <= rounds; r++) {
    // Alternate which goes first, so neither always follows the other.
    for (const v of r % 2 ? variants : [...variants].reverse()) {
      const result = await round(v.gateway.url, requests);
      results.get(v.name)!.push(result);
      console.log(`round ${r} ${v.name}: ${result.cpuUs.toFixed(1)} µs CPU per request, ${result.perSecond} requests/s`);
    }
  }
} finally {
  for (const v of variants) await v.gateway.close();
  for (const u of upstreams) u.proc.kill();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const summary: Record<string, unknown> = { replicas, requests, rounds };
for (const [name, list] of results) summary[`${name}CpuUsPerRequest`] = Number(median(list.map((r) => r.cpuUs)).toFixed(1));
if (args.baseline) {
  const ratios = results.get('this')!.map((r, i) => r.cpuUs / results.get('baseline')![i]!.cpuUs);
  summary.ratio = Number(median(ratios).toFixed(3));
}
console.log(JSON.stringify(summary));
