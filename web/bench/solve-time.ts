/**
 * Time for the web app's solver (web/src/api/altcha.ts, its Web Workers) to solve challenges of
 * each level in Debian's headless Chromium, with the default ALTCHA_COST and ALTCHA_BASE_WORK.
 *
 *   node --import tsx web/bench/solve-time.ts [solves per level] [highest level]
 *
 * Builds this folder's page with Vite, serves it on 127.0.0.1, and creates the challenges with
 * @onevote/auth as identity does. Phones are slower per core than a desktop; see docs/benchmarks.md.
 */
import { createReadStream, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AltchaChallenges, altchaConfigProperties, type ReplayStore } from '@onevote/auth';
import { createChallenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { chromium } from 'playwright-core';
import { build } from 'vite';

const solves = Number(process.argv[2] ?? 10);
const highest = Number(process.argv[3] ?? 4);
const here = fileURLToPath(new URL('.', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'onevote-solve-'));
await build({
  root: here,
  logLevel: 'warn',
  worker: { format: 'es' },
  build: { outDir, emptyOutDir: true, target: 'es2022', rollupOptions: { input: join(here, 'solve-page.html') } },
});

const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript' };
const server = createServer((req, res) => {
  const path = join(outDir, new URL(req.url ?? '/', 'http://x').pathname);
  if (!path.startsWith(outDir) || !existsSync(path)) return void res.writeHead(404).end();
  res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
  createReadStream(path).pipe(res);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as { port: number };

const unused: ReplayStore = { claim: async () => true };
const cost = altchaConfigProperties.ALTCHA_COST.default;
const baseWork = altchaConfigProperties.ALTCHA_BASE_WORK.default;
const challenges = new AltchaChallenges({
  hmacKey: 'bench-hmac-key-of-at-least-32-characters',
  cost,
  baseWork,
  maxLevel: 12,
  expiresInSeconds: 3600,
  spent: unused,
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${port}/solve-page.html`);
  await page.waitForFunction(() => typeof window.solveTimed === 'function');
  const workers = await page.evaluate(() => Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4)));
  await page.evaluate((c) => window.solveTimed(c), await challenges.create({ purpose: 'vote', level: 0 })); // warm-up
  const rows = [];
  const timed = async (make: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < solves; i++) {
      const challenge = await make();
      times.push(await page.evaluate((c) => window.solveTimed(c as never), challenge));
    }
    times.sort((a, b) => a - b);
    return {
      mean_ms: Math.round(times.reduce((a, b) => a + b, 0) / times.length),
      median_ms: Math.round(times[Math.floor(times.length / 2)]!),
      max_ms: Math.round(times.at(-1)!),
    };
  };
  // Before: random mode, cost 2000, prefix '00' (256 attempts of 2,000 rounds on average).
  rows.push({
    level: 'before',
    expected_attempts: 256,
    ...(await timed(() =>
      createChallenge({ algorithm: 'SHA-256', cost: 2000, deriveKey, hmacSignatureSecret: 'k'.repeat(32) }),
    )),
  });
  for (let level = 0; level <= highest; level++) {
    rows.push({
      level: String(level),
      expected_attempts: baseWork * 2 ** level,
      ...(await timed(() => challenges.create({ purpose: 'vote', level }))),
    });
  }
  console.log(`Chromium, ${workers} workers, cost ${cost}, base work ${baseWork}, ${solves} solves per level`);
  console.table(rows);
} finally {
  await browser.close();
  server.close();
}
