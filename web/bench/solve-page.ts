// The page of bench/solve-time.ts: the web app's own solver (its Web Workers), timed.
import type { Challenge } from 'altcha-lib';
import { solveAltcha } from '../src/api/altcha.ts';

declare global {
  interface Window {
    solveTimed(challenge: Challenge): Promise<number>;
  }
}

window.solveTimed = async (challenge) => {
  const start = performance.now();
  await solveAltcha(challenge);
  return performance.now() - start;
};
