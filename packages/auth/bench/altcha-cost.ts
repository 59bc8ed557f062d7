/**
 * CPU cost of proof-of-work challenges on the server (create, verify) and of solving them in
 * Node, for the challenges issued today (deterministic, by level) and for the random-mode ones
 * issued before (cost 2000, prefix '00').
 *
 *   node --import tsx packages/auth/bench/altcha-cost.ts [iterations]
 *
 * The spent store is in memory, so the figures are this process's CPU only; the Redis SET NX that
 * enforces single use is one round trip on top.
 */
import { performance } from 'node:perf_hooks';
import { type Challenge, createChallenge, type Solution, solveChallenge, verifySolution } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import { altchaConfigProperties } from '../src/altcha.ts';
import { solveAltcha } from '../src/client.ts';
import { AltchaChallenges, type ReplayStore } from '../src/index.ts';

const n = Number(process.argv[2] ?? 2000);
const hmacKey = 'bench-hmac-key-of-at-least-32-characters';

class MemorySpent implements ReplayStore {
  private readonly seen = new Set<string>();
  async claim(key: string): Promise<boolean> {
    if (this.seen.has(key)) return false;
    this.seen.add(key);
    return true;
  }
}

/** µs per call of `work(k)`, k counting on from the warm-up calls (so no input is used twice). */
async function perCall(count: number, work: (k: number) => Promise<unknown>): Promise<number> {
  const warmUp = 50;
  for (let k = 0; k < warmUp; k++) await work(k); // JIT
  const start = performance.now();
  for (let k = warmUp; k < warmUp + count; k++) await work(k);
  return ((performance.now() - start) * 1000) / count;
}

const cost = altchaConfigProperties.ALTCHA_COST.default;
const baseWork = altchaConfigProperties.ALTCHA_BASE_WORK.default;
const rows: Record<string, string | number>[] = [];

// Before: random mode, cost 2000, prefix '00' (what ALTCHA_KEY_PREFIX_LENGTH 1, 2 or 4 all gave).
{
  const options = { algorithm: 'SHA-256', cost: 2000, deriveKey, hmacSignatureSecret: hmacKey } as const;
  const create = await perCall(n, () => createChallenge({ ...options, expiresAt: new Date(Date.now() + 300_000) }));
  const solved: { challenge: Challenge; solution: Solution }[] = [];
  const solveStart = performance.now();
  for (let i = 0; i < 20; i++) {
    const challenge = await createChallenge(options);
    solved.push({ challenge, solution: (await solveChallenge({ challenge, deriveKey }))! });
  }
  const solveMs = (performance.now() - solveStart) / solved.length;
  const verify = await perCall(Math.min(n, 400), (k) =>
    verifySolution({ ...solved[k % solved.length]!, deriveKey, hmacSignatureSecret: hmacKey }),
  );
  rows.push({ challenge: 'before: random mode, cost 2000', create_us: create.toFixed(0), verify_us: verify.toFixed(0), node_solve_ms: solveMs.toFixed(0) });
}

// After: deterministic mode at the default cost and base work, by level.
const challenges = new AltchaChallenges({ hmacKey, cost, baseWork, maxLevel: 12, expiresInSeconds: 300, spent: new MemorySpent() });
for (const level of [0, 2, 4]) {
  const create = await perCall(n, () => challenges.create({ purpose: 'vote', level }));
  const solves = level === 0 ? 20 : level === 2 ? 8 : 4;
  const payloads: string[] = [];
  const solveStart = performance.now();
  for (let i = 0; i < solves; i++) payloads.push(await solveAltcha(await challenges.create({ purpose: 'vote', level })));
  const solveMs = (performance.now() - solveStart) / solves;
  // Each payload verifies once (then it is spent): fresh payloads for the timed verifications.
  let verify = Number.NaN; // verifying is the same two HMACs at every level
  if (level === 0) {
    const fresh: string[] = [];
    const count = Math.min(n, 300);
    for (let i = 0; i < count + 50; i++) fresh.push(await solveAltcha(await challenges.create({ purpose: 'vote', level: 0 })));
    verify = await perCall(count, (k) => challenges.verify(fresh[k]!, { purpose: 'vote', minLevel: 0 }));
  }
  rows.push({
    challenge: `after: level ${level} (${baseWork * 2 ** level} attempts × cost ${cost})`,
    create_us: create.toFixed(0),
    verify_us: Number.isNaN(verify) ? 'same' : verify.toFixed(0),
    node_solve_ms: solveMs.toFixed(0),
  });
}
console.table(rows);
