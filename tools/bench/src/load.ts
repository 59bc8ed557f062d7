import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { dpopProof } from './signer.ts';
import { Samples } from './stats.ts';
import type { Voter } from './voters.ts';

export interface LoadOptions {
  baseUrl: string;
  electionId: string;
  questionId: string;
  optionIds: string[];
  voters: Voter[];
  durationSeconds: number;
  concurrency: number;
  /** Ballots per second to aim at; 0 = as fast as possible. */
  rate: number;
  duplicateShare: number;
  retryShare: number;
  onProgress?: (s: LoadState) => void;
}

interface Counted {
  voter: Voter;
  idempotencyKey: string;
  body: string;
  receiptId: string;
}

export interface LoadState {
  startedAt: number;
  sent: number;
  counted: number;
  /** Receipts answered 201 (first answers and same-key retries), voter id -> receipt id. */
  receipts: Map<string, string>;
  /** When each counted ballot was acknowledged, in order (for SSE lag). */
  ackTimes: number[];
  latency201: Samples;
  errors: Record<string, number>;
  /** Answers that contradict the API contract (a 409 with another receipt, a retry with another body). */
  contractViolations: number;
  duplicates409: number;
  retries201: number;
}

/**
 * The audience: fresh ballots by new voters, plus duplicates by voters who already voted (another
 * Idempotency-Key: must be 409 with their receipt) and retries (same key: must be the same 201).
 * A 503 or network error is retried later with the same key, as a real client does.
 */
export async function runLoad(o: LoadOptions): Promise<LoadState> {
  const url = new URL(o.baseUrl);
  const pool = new Pool(url.origin, { connections: o.concurrency, pipelining: 1, keepAliveTimeout: 30_000 });
  const path = `/v1/elections/${o.electionId}/votes`;
  const htu = `${url.origin}${path}`;
  const state: LoadState = {
    startedAt: Date.now(),
    sent: 0,
    counted: 0,
    receipts: new Map(),
    ackTimes: [],
    latency201: new Samples(),
    errors: {},
    contractViolations: 0,
    duplicates409: 0,
    retries201: 0,
  };
  const counted: Counted[] = [];
  const pendingRetry: { voter: Voter; idempotencyKey: string; body: string }[] = [];
  let nextVoter = 0;
  const deadline = state.startedAt + o.durationSeconds * 1000;
  const interval = o.rate > 0 ? 1000 / o.rate : 0;
  let nextSlot = Date.now();

  const send = async (voter: Voter, idempotencyKey: string, body: string) => {
    state.sent++;
    const started = performance.now();
    try {
      const res = await pool.request({
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: voter.authorization,
          dpop: dpopProof(voter.key, 'POST', htu, voter.ath),
          'idempotency-key': idempotencyKey,
        },
        body,
      });
      const text = await res.body.text();
      return { status: res.statusCode, text, ms: performance.now() - started };
    } catch (err) {
      return { status: 0, text: (err as Error).message, ms: performance.now() - started };
    }
  };

  const ballotBody = () =>
    JSON.stringify({
      selections: [{ questionId: o.questionId, optionIds: [o.optionIds[Math.floor(Math.random() * o.optionIds.length)]] }],
    });

  const worker = async () => {
    while (Date.now() < deadline) {
      if (interval > 0) {
        const wait = nextSlot - Date.now();
        nextSlot = Math.max(nextSlot, Date.now()) + interval;
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      const roll = Math.random();
      if (pendingRetry.length > 0) {
        const r = pendingRetry.shift()!;
        await fresh(r.voter, r.idempotencyKey, r.body);
      } else if (counted.length > 0 && roll < o.duplicateShare) {
        const c = counted[Math.floor(Math.random() * counted.length)]!;
        const res = await send(c.voter, randomUUID(), ballotBody());
        if (res.status === 409) {
          state.duplicates409++;
          if (JSON.parse(res.text).receiptId !== c.receiptId) state.contractViolations++;
        } else count(res.status);
      } else if (counted.length > 0 && roll < o.duplicateShare + o.retryShare) {
        const c = counted[Math.floor(Math.random() * counted.length)]!;
        const res = await send(c.voter, c.idempotencyKey, c.body);
        if (res.status === 201) {
          state.retries201++;
          if (JSON.parse(res.text).receiptId !== c.receiptId) state.contractViolations++;
        } else count(res.status);
      } else {
        const voter = o.voters[nextVoter++];
        if (!voter) break;
        await fresh(voter, randomUUID(), ballotBody());
      }
    }
  };

  const count = (status: number) => {
    state.errors[String(status)] = (state.errors[String(status)] ?? 0) + 1;
  };

  const fresh = async (voter: Voter, idempotencyKey: string, body: string) => {
    const res = await send(voter, idempotencyKey, body);
    if (res.status === 201) {
      const receiptId = JSON.parse(res.text).receiptId as string;
      state.counted++;
      state.ackTimes.push(Date.now());
      state.latency201.add(res.ms);
      state.receipts.set(voter.voterId, receiptId);
      counted.push({ voter, idempotencyKey, body, receiptId });
    } else {
      count(res.status);
      if (res.status === 503 || res.status === 0) pendingRetry.push({ voter, idempotencyKey, body });
    }
  };

  const progress = o.onProgress ? setInterval(() => o.onProgress!(state), 1000) : undefined;
  await Promise.all(Array.from({ length: o.concurrency }, worker));
  clearInterval(progress);
  // Ballots still waiting for a retry after the deadline: settle them, so every voter that got a
  // 503 ends with a definite answer (and the verification can hold the stack to every 201).
  while (pendingRetry.length > 0) {
    const r = pendingRetry.shift()!;
    await fresh(r.voter, r.idempotencyKey, r.body);
  }
  await pool.close();
  return state;
}
