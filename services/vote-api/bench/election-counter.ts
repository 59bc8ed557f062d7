/**
 * What the per-election operations counter adds per vote request (docs/benchmarks.md):
 * `node --import tsx services/vote-api/bench/election-counter.ts`. Times vote_ballots_total's inc
 * alone and with ElectionBallots.inc, one election (the live-show case) and 64 in turn (the bound).
 */
import { Counter, Registry } from 'prom-client';
import { ElectionBallots } from '../src/metrics.ts';

const registry = new Registry();
const ballots = new Counter({ name: 'b_total', help: 'b', labelNames: ['outcome', 'reason'] as const, registers: [registry] });
const perElection = new ElectionBallots(
  new Counter({ name: 'e_total', help: 'e', labelNames: ['election', 'outcome'] as const, registers: [registry] }),
);
const elections = Array.from({ length: 64 }, () => crypto.randomUUID());
const n = 500_000;

/** The fastest of 7 rounds: on a shared machine the minimum is the least disturbed. */
function time(what: string, f: (i: number) => void): number {
  for (let i = 0; i < 200_000; i++) f(i); // warm-up
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) f(i);
    best = Math.min(best, Number(process.hrtime.bigint() - start) / n);
  }
  console.log(`${what}: ${best.toFixed(0)} ns per request`);
  return best;
}

const base = time('vote_ballots_total only', () => ballots.inc({ outcome: 'counted', reason: '' }));
const one = time('+ per election, one election', () => {
  ballots.inc({ outcome: 'counted', reason: '' });
  perElection.inc(elections[0]!, 'counted', '');
});
const many = time('+ per election, 64 elections in turn', (i) => {
  ballots.inc({ outcome: 'counted', reason: '' });
  perElection.inc(elections[i % 64]!, 'counted', '');
});
console.log(JSON.stringify({ baseNs: Math.round(base), addedOneNs: Math.round(one - base), added64Ns: Math.round(many - base) }));
