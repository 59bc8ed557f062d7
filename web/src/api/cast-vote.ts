import { passChallenge, requiredLevel } from './altcha.ts';
import { ApiError, json, NetworkError } from './http.ts';
import { authorized } from './session.ts';
import type { Receipt, Selection } from './types.ts';

export type VoteProgress =
  | { phase: 'sending'; attempt: number }
  | { phase: 'waiting'; attempt: number; seconds: number; reason: string }
  | { phase: 'challenge'; estimate: number };

const pendingKey = (electionId: string) => `onevote.pending-vote.${electionId}`;

/**
 * The Idempotency-Key of a ballot not yet answered. It outlives a reload, so a vote whose answer
 * was lost is retried with the same key and the server answers with the first receipt instead of
 * counting (or refusing) a second ballot.
 */
function idempotencyKey(electionId: string): string {
  const stored = localStorage.getItem(pendingKey(electionId));
  if (stored) return stored;
  const key = crypto.randomUUID();
  localStorage.setItem(pendingKey(electionId), key);
  return key;
}

function forget(electionId: string) {
  localStorage.removeItem(pendingKey(electionId));
}

const maxAttempts = 8;

function wait(ms: number, signal?: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

/** Casts a ballot; retries `503` and network failures with backoff and the same key. */
export async function castVote(
  electionId: string,
  selections: Selection[],
  onProgress: (p: VoteProgress) => void,
  signal?: AbortSignal,
): Promise<Receipt> {
  const key = idempotencyKey(electionId);
  let altcha: string | undefined;
  // Challenges solved for this ballot: one when asked, one more if the server then names a higher level.
  let solved = 0;
  for (let attempt = 1; ; attempt++) {
    onProgress({ phase: 'sending', attempt });
    try {
      const res = await authorized('POST', `/v1/elections/${encodeURIComponent(electionId)}/votes`, {
        headers: { 'idempotency-key': key },
        body: altcha ? { selections, altcha } : { selections },
        ...(signal ? { signal } : {}),
      });
      const receipt = await json<Receipt>(res);
      forget(electionId);
      return receipt;
    } catch (err) {
      if (signal?.aborted) throw err;
      const transient =
        err instanceof NetworkError || (err instanceof ApiError && err.code === 'unavailable');
      if (transient && attempt < maxAttempts) {
        // Exponential backoff with jitter, never sooner than the server's Retry-After.
        const backoff = Math.min(8000, 500 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        const retryAfter = err instanceof ApiError && err.retryAfter ? err.retryAfter * 1000 : 0;
        const ms = Math.max(backoff, retryAfter);
        onProgress({
          phase: 'waiting',
          attempt,
          seconds: Math.ceil(ms / 1000),
          reason: err instanceof NetworkError ? 'No connection' : 'The service is busy',
        });
        await wait(ms, signal);
        continue;
      }
      const level = requiredLevel(err);
      const asked = err instanceof ApiError && (err.code === 'challenge_required' || (err.code === 'challenge_failed' && altcha));
      if (asked && solved < 2) {
        // The first answer names the level (it rises with this network's voters); a solution
        // that lands after the level rose is answered with the new one.
        altcha = await passChallenge('vote', {
          ...(level !== undefined ? { level } : {}),
          onProgress: (estimate) => onProgress({ phase: 'challenge', estimate }),
        });
        solved++;
        attempt--;
        continue;
      }
      // A definitive answer (counted elsewhere, refused) ends this key's life; a rate limit or a
      // transient failure keeps it for the next try.
      if (err instanceof ApiError && !['rate_limited', 'unavailable', 'invalid_token'].includes(err.code)) {
        forget(electionId);
      }
      throw err;
    }
  }
}
