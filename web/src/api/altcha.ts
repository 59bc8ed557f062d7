import type { Challenge, Solution } from 'altcha-lib';
import { base64Utf8 } from './base64url.ts';
import { ApiError, json, send } from './http.ts';

/** Reports progress as an estimate in [0, 1): the share of the work done so far. */
export type ProgressListener = (estimate: number) => void;

/** What a challenge is for (API.md): the server prices each by its own counters. */
export type ChallengePurpose = 'register' | 'login' | 'vote';

type WorkerReply =
  | { type: 'progress'; attempts: number }
  | { type: 'done'; solution: Solution | null; attempts: number }
  | { type: 'error'; message: string };

/**
 * The most attempts a challenge can take. The server draws its secret counter from
 * [0, maxAttempts) and says so in the signed `data`; a challenge without it (another issuer)
 * is estimated from its prefix, 16^n attempts for n hex digits.
 */
function maxAttempts(challenge: Challenge): number {
  const max = challenge.parameters.data?.maxAttempts;
  if (typeof max === 'number' && max > 0) return max;
  return 2 * 16 ** Math.min(8, challenge.parameters.keyPrefix?.length ?? 2);
}

/** Solves a challenge in Web Workers (one per core, up to 4) and encodes the `altcha` field. */
export async function solveAltcha(challenge: Challenge, onProgress?: ProgressListener): Promise<string> {
  const workers = Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 4));
  const max = maxAttempts(challenge);
  // Past its expiry a solution is refused anyway: search until then, however hard the level.
  const expiresAt = challenge.parameters.expiresAt;
  const timeoutMs = expiresAt ? Math.max(1000, expiresAt * 1000 - Date.now()) : 120_000;
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
            // The answer is equally likely anywhere in the range: the share searched is the chance
            // it was found by now. Never claims 100% before it is.
            onProgress?.(Math.min(0.99, done / max));
          } else if (reply.type === 'done') {
            if (reply.solution) resolve(reply.solution);
            else reject(new Error('The anti-bot check timed out. Please try again.'));
          } else reject(new Error(`The anti-bot check failed: ${reply.message}`));
        };
        worker.onerror = (event) => reject(new Error(`The anti-bot check could not run: ${event.message}`));
        worker.postMessage({ challenge, counterStart: i, counterStep: workers, timeoutMs });
      }
    });
    onProgress?.(1);
    return base64Utf8(JSON.stringify({ challenge, solution }));
  } finally {
    for (const worker of pool) worker.terminate();
  }
}

async function fetchChallenge(purpose: ChallengePurpose, level?: number): Promise<Challenge> {
  const query = new URLSearchParams({ purpose });
  if (level !== undefined) query.set('level', String(level));
  return json<Challenge>(await send(`/v1/auth/challenge?${query}`, { cache: 'no-store' }));
}

/** A fresh challenge for `purpose`, solved: the value of an `altcha` body field. */
export async function passChallenge(
  purpose: ChallengePurpose,
  options: { level?: number; onProgress?: ProgressListener } = {},
): Promise<string> {
  return solveAltcha(await fetchChallenge(purpose, options.level), options.onProgress);
}

/** The level a refusal asks for (`challengeLevel` of `challenge_failed` / `challenge_required`). */
export function requiredLevel(err: unknown): number | undefined {
  if (!(err instanceof ApiError)) return undefined;
  if (err.code !== 'challenge_failed' && err.code !== 'challenge_required') return undefined;
  const level = err.problem.challengeLevel;
  return typeof level === 'number' && Number.isInteger(level) && level >= 0 ? level : undefined;
}

/**
 * Runs `action` with a solved challenge for `purpose`. If the server answers that it needs a
 * harder one (its counters moved, or this account is being guessed at from this network), solves
 * one at the level it names and tries once more.
 */
export async function withChallenge<T>(
  purpose: ChallengePurpose,
  action: (altcha: string) => Promise<T>,
  onProgress?: ProgressListener,
): Promise<T> {
  const options = onProgress ? { onProgress } : {};
  try {
    return await action(await passChallenge(purpose, options));
  } catch (err) {
    const level = requiredLevel(err);
    if (level === undefined) throw err;
    return action(await passChallenge(purpose, { ...options, level }));
  }
}
