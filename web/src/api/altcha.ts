import type { Challenge, Solution } from 'altcha-lib';
import { base64Utf8 } from './base64url.ts';
import { json, send } from './http.ts';

/** Reports progress as an estimate in [0, 1): the share of the expected work done so far. */
export type ProgressListener = (estimate: number) => void;

type WorkerReply =
  | { type: 'progress'; attempts: number }
  | { type: 'done'; solution: Solution | null; attempts: number }
  | { type: 'error'; message: string };

/** Solves a challenge in Web Workers (one per core, up to 4) and encodes the `altcha` field. */
export async function solveAltcha(challenge: Challenge, onProgress?: ProgressListener): Promise<string> {
  const workers = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
  // A prefix of n hex digits matches one derived key in 16^n: that many attempts on average.
  const expected = 16 ** (challenge.parameters.keyPrefix?.length ?? 2);
  const attempts = new Array<number>(workers).fill(0);
  const pool: Worker[] = [];
  try {
    const solution = await new Promise<Solution>((resolve, reject) => {
      for (let i = 0; i < workers; i++) {
        const worker = new Worker(new URL('./altcha.worker.ts', import.meta.url), { type: 'module' });
        pool.push(worker);
        worker.onmessage = (event: MessageEvent<WorkerReply>) => {
          const reply = event.data;
          if (reply.type === 'progress') {
            attempts[i] = reply.attempts;
            const done = attempts.reduce((a, b) => a + b, 0);
            // 1 - e^(-done/expected): the chance a solution was due by now; never claims 100%.
            onProgress?.(Math.min(0.99, 1 - Math.exp(-done / expected)));
          } else if (reply.type === 'done') {
            if (reply.solution) resolve(reply.solution);
            else reject(new Error('The anti-bot check timed out. Please try again.'));
          } else reject(new Error(`The anti-bot check failed: ${reply.message}`));
        };
        worker.onerror = (event) => reject(new Error(`The anti-bot check could not run: ${event.message}`));
        worker.postMessage({ challenge, counterStart: i, counterStep: workers });
      }
    });
    onProgress?.(1);
    return base64Utf8(JSON.stringify({ challenge, solution }));
  } finally {
    for (const worker of pool) worker.terminate();
  }
}

export async function fetchChallenge(): Promise<Challenge> {
  return json<Challenge>(await send('/v1/auth/challenge', { cache: 'no-store' }));
}

/** A fresh challenge, solved: the value of an `altcha` body field. */
export async function passChallenge(onProgress?: ProgressListener): Promise<string> {
  return solveAltcha(await fetchChallenge(), onProgress);
}
